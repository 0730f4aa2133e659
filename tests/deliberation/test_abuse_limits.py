"""Abuse limits of a public service (issue 12 point 5).

- Staff password sign-in (``/accounts/login/`` and ``/admin/login/``) is locked by django-axes
  after ``AXES_FAILURE_LIMIT`` failures per user name and per client address, for the cool-off;
  the right password is refused meanwhile and the page says so in Chinese.
- Wrong meeting check-in codes are limited per person, per meeting and per address.
- Behind ``SIFANG_PROXY_COUNT`` proxies the client address is read from ``X-Forwarded-For``.
- Resident sign-in answers a staff number exactly as it answers an unknown one.

Time is a controlled clock (``timezone.now`` and axes' own ``now``), never a sleep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone

from deliberation.accounts.network import address_key, client_address
from deliberation.accounts.senders import ConsoleSender
from deliberation.models import User
from meetings import services
from meetings.exceptions import MeetingRefused
from meetings.models import Attendance
from tests.factories.base import UserFactory
from tests.factories.meetings import meeting_scene

pytestmark = pytest.mark.django_db

PASSWORD = "sifang-test-pass"  # the factories' password
LOCKED = "密码错误次数过多"
ATTACKER = "10.1.1.1"
OTHER = "10.2.2.2"


class Clock:
    """``timezone.now`` fixed at the start of a 10-minute window, moved by hand."""

    def __init__(self) -> None:
        start = timezone.now().replace(second=0, microsecond=0)
        self.now = start.replace(minute=start.minute // 10 * 10)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    # django-axes stamps attempts with its own imported ``now``.
    monkeypatch.setattr("axes.handlers.proxy.now", clock)
    monkeypatch.setattr("axes.attempts.now", clock)
    return clock


@pytest.fixture(autouse=True)
def outbox():  # type: ignore[no-untyped-def]
    ConsoleSender.outbox.clear()
    yield ConsoleSender.outbox
    ConsoleSender.outbox.clear()


def login_url(name: str) -> str:
    return {"site": reverse("login"), "admin": "/admin/login/"}[name]


@dataclass
class Attempt:
    client: Client
    response: HttpResponse

    @property
    def signed_in(self) -> bool:
        return "_auth_user_id" in self.client.session


def password_post(url: str, username: str, password: str, ip: str, **headers: str) -> Attempt:
    """A password sign-in from a fresh browser at ``ip`` (``REMOTE_ADDR``)."""
    client = Client(REMOTE_ADDR=ip, **headers)
    response = client.post(url, {"username": username, "password": password, "next": "/admin/"})
    return Attempt(client, response)


# --- staff passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["site", "admin"])
def test_25_wrong_passwords_lock_the_account_and_the_right_one_is_refused(where: str) -> None:
    UserFactory(username="chen", is_staff=True)
    url = login_url(where)
    for _ in range(25):
        password_post(url, "chen", "wrong-guess", ATTACKER)
    attempt = password_post(url, "chen", PASSWORD, ATTACKER)
    assert attempt.response.status_code == 429
    body = attempt.response.content.decode()
    assert LOCKED in body and "15 分钟后再试" in body
    assert not attempt.signed_in
    # The page still offers the resident sign-in.
    assert 'name="phone"' in body


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_lock_page_is_served_under_asgi_too() -> None:
    """daphne runs the middleware chain asynchronously; axes' async path must show the page."""
    await sync_to_async(UserFactory)(username="chen", is_staff=True)
    client = AsyncClient(REMOTE_ADDR=ATTACKER)
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        response = await client.post(
            login_url("admin"), {"username": "chen", "password": "wrong-guess"}
        )
    response = await client.post(login_url("admin"), {"username": "chen", "password": PASSWORD})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_lock_starts_at_the_limit_and_ends_after_the_cool_off(clock: Clock) -> None:
    UserFactory(username="chen", is_staff=True)
    url = login_url("site")
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = password_post(url, "chen", "wrong-guess", ATTACKER).response
        assert response.status_code == 200 and LOCKED not in response.content.decode()
    assert password_post(url, "chen", "wrong-guess", ATTACKER).response.status_code == 429
    clock.advance(minutes=14)
    assert not password_post(url, "chen", PASSWORD, ATTACKER).signed_in
    # Tries during the lock do not extend it: the cool-off runs from the last counted failure.
    clock.advance(minutes=1, seconds=1)
    assert password_post(url, "chen", PASSWORD, ATTACKER).signed_in


def test_others_are_locked_only_where_they_share_the_account_or_the_address() -> None:
    UserFactory(username="chen", is_staff=True)
    UserFactory(username="wang", is_staff=True)
    url = login_url("admin")
    for _ in range(25):
        password_post(url, "chen", "wrong-guess", ATTACKER)
    # Another account from another address: untouched.
    assert password_post(url, "wang", PASSWORD, OTHER).signed_in
    # The attacked account is locked from every address (per account)...
    assert not password_post(url, "chen", PASSWORD, OTHER).signed_in
    # ...and the attacking address for every account (per address).
    refused = password_post(url, "wang", PASSWORD, ATTACKER)
    assert not refused.signed_in
    assert refused.response.status_code == 429


def test_resident_code_sign_in_works_from_a_locked_address() -> None:
    UserFactory(username="chen", is_staff=True)
    for _ in range(25):
        password_post(login_url("site"), "chen", "wrong-guess", ATTACKER)
    client = Client(REMOTE_ADDR=ATTACKER)
    response = client.post(reverse("signin-code-request"), {"phone": "13912345678"})
    assert response.status_code == 302
    response = client.post(reverse("signin-code-verify"), {"code": ConsoleSender.outbox[-1].code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(phone="13912345678").pk)


def test_the_lock_follows_the_client_behind_the_proxy(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SIFANG_PROXY_COUNT = 1
    UserFactory(username="chen", is_staff=True)
    UserFactory(username="wang", is_staff=True)
    url = login_url("site")
    nginx = "127.0.0.1"

    def through_proxy(username: str, password: str, forwarded_for: str) -> Attempt:
        return password_post(url, username, password, nginx, HTTP_X_FORWARDED_FOR=forwarded_for)

    # The attacker varies the part of the header it writes itself; nginx appends the real one.
    for n in range(10):
        through_proxy("chen", "wrong-guess", f"192.0.2.{n}, {ATTACKER}")
    assert not through_proxy("wang", PASSWORD, f"192.0.2.77, {ATTACKER}").signed_in
    # Everyone else comes through the same nginx and is not locked with the attacker.
    assert through_proxy("wang", PASSWORD, OTHER).signed_in


# --- meeting check-in codes -----------------------------------------------------------------------


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def test_40_wrong_check_in_codes_are_throttled_until_the_cool_off(clock: Clock) -> None:
    scene = meeting_scene(participants=2, open_meeting=True)
    meeting = scene.meeting
    assert meeting is not None
    guesser, neighbour = scene.participants
    client = Client()
    client.force_login(guesser)
    url = reverse("meeting-checkin", args=[scene.community.slug, meeting.pk])
    answers = []
    for _ in range(40):
        clock.advance(seconds=0.1)  # ten a second
        try:
            services.attendance_checkin(
                meeting=meeting, user=guesser, code=wrong_code(meeting.checkin_code)
            )
        except MeetingRefused as refused:
            answers.append(refused.code)
    assert answers == ["wrong_code"] * 5 + ["rate_limited"] * 35
    # The right code is refused too, with a clear message, and nobody is checked in.
    response = client.post(url, {"code": meeting.checkin_code}, follow=True)
    assert "签到码错误次数过多" in response.content.decode()
    assert "分钟后再试" in response.content.decode()
    assert not Attendance.objects.filter(meeting=meeting, present=True).exists()
    # Someone else at the same meeting is not held up by it.
    services.attendance_checkin(meeting=meeting, user=neighbour, code=meeting.checkin_code)
    # After the cool-off (the 10-minute window) the right code works.
    clock.advance(minutes=9)
    with pytest.raises(MeetingRefused) as refused:
        services.attendance_checkin(meeting=meeting, user=guesser, code=meeting.checkin_code)
    assert refused.value.code == "rate_limited"
    clock.advance(minutes=1)
    response = client.post(url, {"code": meeting.checkin_code}, follow=True)
    assert "签到成功" in response.content.decode()
    assert Attendance.objects.filter(meeting=meeting, present=True).count() == 2


def test_wrong_codes_of_many_people_throttle_the_meeting(settings, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    settings.SIFANG_CHECKIN_LIMITS = {"meeting_failures": 4}
    scene = meeting_scene(participants=6, open_meeting=True)
    meeting = scene.meeting
    assert meeting is not None
    guessers, latecomer = scene.participants[:5], scene.participants[5]
    answers = []
    for person in guessers:
        try:
            services.attendance_checkin(
                meeting=meeting,
                user=person,
                code=wrong_code(meeting.checkin_code),
                ip=f"10.3.0.{person.pk % 250}",
            )
        except MeetingRefused as refused:
            answers.append(refused.code)
    assert answers == ["wrong_code"] * 4 + ["rate_limited"]
    with pytest.raises(MeetingRefused) as refused:
        services.attendance_checkin(meeting=meeting, user=latecomer, code=meeting.checkin_code)
    assert refused.value.code == "rate_limited"
    clock.advance(minutes=1)
    services.attendance_checkin(meeting=meeting, user=latecomer, code=meeting.checkin_code)
    assert Attendance.objects.filter(meeting=meeting, present=True).count() == 1


def test_non_members_guessing_do_not_count_against_the_meeting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SIFANG_CHECKIN_LIMITS = {"meeting_failures": 2}
    scene = meeting_scene(participants=1, open_meeting=True)
    meeting = scene.meeting
    assert meeting is not None and scene.outsider is not None
    for _ in range(5):
        with pytest.raises(MeetingRefused) as refused:
            services.attendance_checkin(meeting=meeting, user=scene.outsider, code="000000")
        assert refused.value.code == "forbidden"
    services.attendance_checkin(
        meeting=meeting, user=scene.participants[0], code=meeting.checkin_code
    )


# --- the client address ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded_for", "expected"),
    [
        # No proxy: the socket's peer; a header is the client's own invention.
        (0, "203.0.113.5", None, "203.0.113.5"),
        (0, "203.0.113.5", "1.2.3.4", "203.0.113.5"),
        # One proxy (nginx): the right-most entry, whatever the client wrote to its left.
        (1, "127.0.0.1", "203.0.113.5", "203.0.113.5"),
        (1, "127.0.0.1", "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (1, "127.0.0.1", " 1.2.3.4 ,203.0.113.5 ", "203.0.113.5"),
        # Two proxies (a CDN, then nginx): second from the right.
        (2, "127.0.0.1", "1.2.3.4, 203.0.113.5, 198.51.100.1", "203.0.113.5"),
        # Fewer entries than proxies, no header, or garbage: the proxy's address, never a guess.
        (2, "127.0.0.1", "203.0.113.5", "127.0.0.1"),
        (1, "127.0.0.1", None, "127.0.0.1"),
        (1, "127.0.0.1", "", "127.0.0.1"),
        (1, "127.0.0.1", "1.2.3.4, not-an-address", "127.0.0.1"),
        (1, "127.0.0.1", "1.2.3.4, 203.0.113.5:4711", "127.0.0.1"),
        # IPv6 is normalised.
        (1, "::1", "2001:DB8:0:0::7", "2001:db8::7"),
        (0, None, None, None),
        (0, "unix-socket", None, None),
    ],
)
def test_client_address_from_the_proxy_chain(
    proxies: int, remote_addr: str | None, forwarded_for: str | None, expected: str | None
) -> None:
    assert (
        client_address(remote_addr=remote_addr, forwarded_for=forwarded_for, proxy_count=proxies)
        == expected
    )


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        (None, "unknown"),
    ],
)
def test_limits_count_ipv6_clients_per_64(ip: str | None, key: str) -> None:
    assert address_key(ip) == key


def test_code_requests_are_limited_per_client_behind_the_proxy(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SIFANG_PROXY_COUNT = 1
    settings.SIFANG_SIGNIN_LIMITS = {"ip_requests_per_hour": 1}

    def ask(phone: str, client_ip: str) -> int:
        client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_ip)
        return client.post(reverse("signin-code-request"), {"phone": phone}).status_code

    assert ask("13900000001", "203.0.113.5") == 302
    assert ask("13900000002", "203.0.113.6") == 302  # another resident, same nginx
    assert ask("13900000003", "203.0.113.5") == 429


# --- staff numbers at resident sign-in ------------------------------------------------------------

STAFF_PHONE = "13800000001"
RESIDENT_PHONE = "13800000002"
UNKNOWN_PHONE = "13800000003"


@pytest.fixture
def three_numbers() -> dict[str, str]:
    UserFactory(username="staff-chen", phone=STAFF_PHONE, is_staff=True)
    UserFactory(username="resident-li", phone=RESIDENT_PHONE)
    return {"staff": STAFF_PHONE, "resident": RESIDENT_PHONE, "unknown": UNKNOWN_PHONE}


def page_shape(body: str, phone: str) -> str:
    """The page with what legitimately differs removed: the CSRF token and the number typed."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    return body.replace(phone, "PHONE").replace(f"{phone[:3]}****{phone[-4:]}", "MASKED")


def test_staff_unknown_and_resident_numbers_get_the_same_answer(
    three_numbers: dict[str, str],
) -> None:
    answers = {}
    for kind, phone in three_numbers.items():
        client = Client(REMOTE_ADDR=f"10.4.0.{len(answers) + 1}")
        response = client.post(reverse("signin-code-request"), {"phone": phone})
        page = client.get(response["Location"])
        wrong = client.post(reverse("signin-code-verify"), {"code": "000000"})
        answers[kind] = (
            response.status_code,
            response["Location"],
            page.status_code,
            page_shape(page.content.decode(), phone),
            wrong.status_code,
            page_shape(wrong.content.decode(), phone),
        )
    assert answers["staff"] == answers["unknown"] == answers["resident"]
    # Only the staff number got no message.
    assert sorted(m.phone for m in ConsoleSender.outbox) == [RESIDENT_PHONE, UNKNOWN_PHONE]


def test_while_the_address_is_blocked_every_number_gets_the_same_refusal(
    settings,  # type: ignore[no-untyped-def]
    three_numbers: dict[str, str],
) -> None:
    settings.SIFANG_SIGNIN_LIMITS = {"ip_requests_per_hour": 1}
    Client(REMOTE_ADDR=ATTACKER).post(reverse("signin-code-request"), {"phone": "13900000009"})
    ConsoleSender.outbox.clear()
    answers = {}
    for kind, phone in three_numbers.items():
        response = Client(REMOTE_ADDR=ATTACKER).post(
            reverse("signin-code-request"), {"phone": phone}
        )
        answers[kind] = (response.status_code, page_shape(response.content.decode(), phone))
    assert answers["staff"] == answers["unknown"] == answers["resident"]
    assert answers["staff"][0] == 429
    assert "本网络获取验证码的次数过多" in answers["staff"][1]
    assert not ConsoleSender.outbox
