"""Resident sign-in with phone and one-time code (issue 3 point 2)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.accounts.senders import CodeSendFailed, ConsoleSender
from deliberation.accounts.services import SignInRefused, signin_code_request, signin_code_verify
from deliberation.models import SignInCode, User
from tests.factories.base import UserFactory

PHONE = "13912345678"
IP = "10.0.0.1"

pytestmark = pytest.mark.django_db


class Clock:
    """A fixed ``timezone.now`` in the middle of an hour, so no rate window ends mid-test."""

    def __init__(self) -> None:
        self.now = timezone.now().replace(minute=20, second=0, microsecond=0)

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture(autouse=True)
def outbox():
    ConsoleSender.outbox.clear()
    yield ConsoleSender.outbox
    ConsoleSender.outbox.clear()


def last_code(phone: str = PHONE) -> str:
    sent = [m for m in ConsoleSender.outbox if m.phone == phone]
    assert sent, "no code was sent"
    return sent[-1].code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- the service ---------------------------------------------------------------------------------


def test_console_sender_delivers_a_six_digit_code_stored_hashed(capsys):
    result = signin_code_request(phone="139 1234 5678", ip=IP)
    assert result.phone == PHONE
    code = last_code()
    assert len(code) == 6 and code.isdigit()
    assert code in ConsoleSender.outbox[-1].message
    assert "5 分钟内有效" in ConsoleSender.outbox[-1].message
    assert code in capsys.readouterr().err  # the console sender prints it
    record = SignInCode.objects.get()
    assert code not in record.code_hash
    assert record.expires_at - record.created_at == timedelta(minutes=5)


def test_right_code_signs_in_and_creates_the_account_once():
    signin_code_request(phone=PHONE, ip=IP)
    user = signin_code_verify(phone=PHONE, code=last_code(), ip=IP)
    assert user.phone == PHONE and not user.has_usable_password()
    assert User.objects.filter(phone=PHONE).count() == 1


def test_known_resident_gets_their_own_account():
    resident = UserFactory(phone=PHONE)
    signin_code_request(phone=PHONE, ip=IP)
    assert signin_code_verify(phone=PHONE, code=last_code(), ip=IP) == resident


def test_code_is_single_use():
    signin_code_request(phone=PHONE, ip=IP)
    code = last_code()
    signin_code_verify(phone=PHONE, code=code, ip=IP)
    with pytest.raises(SignInRefused) as refused:
        signin_code_verify(phone=PHONE, code=code, ip=IP)
    assert refused.value.code == "used"
    assert "用过" in refused.value.message


def test_code_expires(clock):
    signin_code_request(phone=PHONE, ip=IP)
    clock.advance(301)
    with pytest.raises(SignInRefused) as refused:
        signin_code_verify(phone=PHONE, code=last_code(), ip=IP)
    assert refused.value.code == "expired"
    assert "过期" in refused.value.message


def test_new_code_replaces_the_old_one(clock):
    signin_code_request(phone=PHONE, ip=IP)
    old = last_code()
    clock.advance(61)  # past the resend wait
    signin_code_request(phone=PHONE, ip=IP)
    new = last_code()
    if old != new:
        with pytest.raises(SignInRefused):
            signin_code_verify(phone=PHONE, code=old, ip=IP)
    assert signin_code_verify(phone=PHONE, code=new, ip=IP).phone == PHONE


def test_wrong_codes_count_down_then_kill_the_code():
    signin_code_request(phone=PHONE, ip=IP)
    code = last_code()
    for left in (4, 3, 2, 1):
        with pytest.raises(SignInRefused) as refused:
            signin_code_verify(phone=PHONE, code=wrong(code), ip=IP)
        assert refused.value.code == "wrong_code"
        assert f"还可以再试 {left} 次" in refused.value.message
    with pytest.raises(SignInRefused) as refused:
        signin_code_verify(phone=PHONE, code=wrong(code), ip=IP)
    assert refused.value.code == "too_many_attempts"
    # Even the right code no longer works: it must be requested again.
    with pytest.raises(SignInRefused) as refused:
        signin_code_verify(phone=PHONE, code=code, ip=IP)
    assert refused.value.code == "too_many_attempts"
    assert "重新获取" in refused.value.message


def test_malformed_code_is_refused_without_counting():
    signin_code_request(phone=PHONE, ip=IP)
    for bad in ("12", "abcdef", "１２３４５６"):
        with pytest.raises(SignInRefused) as refused:
            signin_code_verify(phone=PHONE, code=bad, ip=IP)
        assert refused.value.code == "bad_code"
    assert SignInCode.objects.get().attempts == 0
    assert signin_code_verify(phone=PHONE, code=last_code(), ip=IP)


def test_bad_phone_and_no_code():
    with pytest.raises(SignInRefused) as refused:
        signin_code_request(phone="12345", ip=IP)
    assert refused.value.code == "bad_phone" and "11 位" in refused.value.message
    with pytest.raises(SignInRefused) as refused:
        signin_code_verify(phone=PHONE, code="123456", ip=IP)
    assert refused.value.code == "no_code"


def test_resend_waits_a_minute_per_phone():
    signin_code_request(phone=PHONE, ip=IP)
    with pytest.raises(SignInRefused) as refused:
        signin_code_request(phone=PHONE, ip=IP)
    assert refused.value.code == "too_soon"
    assert 0 < refused.value.retry_after <= 60
    assert "秒后" in refused.value.message
    assert len(ConsoleSender.outbox) == 1


def test_requests_per_phone_are_limited_per_hour(settings, clock):
    settings.SIFANG_SIGNIN_LIMITS = {"phone_requests_per_hour": 3}
    for step in range(3):
        signin_code_request(phone=PHONE, ip=f"10.0.0.{step}")
        clock.advance(61)
    with pytest.raises(SignInRefused) as refused:
        signin_code_request(phone=PHONE, ip="10.0.0.99")
    assert refused.value.code == "phone_rate_limited"
    assert "该手机号" in refused.value.message and "分钟后再试" in refused.value.message
    assert len(ConsoleSender.outbox) == 3
    # Another phone is not affected; the phone itself may try again next hour.
    signin_code_request(phone="13900000000", ip="10.0.0.99")
    clock.advance(3600)
    signin_code_request(phone=PHONE, ip="10.0.0.99")


def test_requests_per_ip_are_limited(settings):
    settings.SIFANG_SIGNIN_LIMITS = {"ip_requests_per_hour": 3}
    for n in range(3):
        signin_code_request(phone=f"1390000000{n}", ip=IP)
    with pytest.raises(SignInRefused) as refused:
        signin_code_request(phone="13900000009", ip=IP)
    assert refused.value.code == "ip_rate_limited"
    assert "本网络" in refused.value.message
    assert len(ConsoleSender.outbox) == 3
    signin_code_request(phone="13900000009", ip="10.0.0.2")  # another network still can


def test_wrong_guesses_are_limited_per_phone_across_codes(settings, clock):
    settings.SIFANG_SIGNIN_LIMITS = {"phone_failures_per_hour": 6}
    guesses = 0
    for _round in range(2):
        signin_code_request(phone=PHONE, ip=IP)
        code = last_code()
        for _ in range(3):
            with pytest.raises(SignInRefused):
                signin_code_verify(phone=PHONE, code=wrong(code), ip=IP)
            guesses += 1
        clock.advance(61)
    signin_code_request(phone=PHONE, ip=IP)
    with pytest.raises(SignInRefused) as refused:
        signin_code_verify(phone=PHONE, code=last_code(), ip=IP)  # even the right one
    assert guesses == 6
    assert refused.value.code == "too_many_failures"
    assert "分钟后再试" in refused.value.message


def test_wrong_guesses_are_limited_per_ip(settings):
    settings.SIFANG_SIGNIN_LIMITS = {"ip_failures_per_hour": 2}
    for n in range(2):
        phone = f"1390000000{n}"
        signin_code_request(phone=phone, ip="10.9.9.9")
        with pytest.raises(SignInRefused):
            signin_code_verify(phone=phone, code=wrong(last_code(phone)), ip=IP)
    signin_code_request(phone=PHONE, ip="10.9.9.9")
    with pytest.raises(SignInRefused) as refused:
        signin_code_verify(phone=PHONE, code=last_code(), ip=IP)
    assert refused.value.code == "too_many_failures"
    # From another network the code still works.
    assert signin_code_verify(phone=PHONE, code=last_code(), ip="10.0.0.2").phone == PHONE


@pytest.mark.parametrize(
    "account", [{"is_staff": True}, {"is_superuser": True}, {"is_active": False}]
)
def test_staff_and_inactive_numbers_look_unknown_but_get_no_code(account):
    # Issue 12: the answer must not tell which numbers belong to staff (or exist at all).
    UserFactory(phone=PHONE, **account)
    assert signin_code_request(phone=PHONE, ip=IP).phone == PHONE
    assert not ConsoleSender.outbox
    with pytest.raises(SignInRefused) as refused:
        signin_code_verify(phone=PHONE, code="000000", ip=IP)
    assert refused.value.code == "wrong_code"


class FailingSender:
    def send(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        raise CodeSendFailed("gateway down")


def test_sender_is_pluggable_and_failures_are_reported(settings):
    settings.SIFANG_OTP_SENDER = "tests.deliberation.test_signin.FailingSender"
    with pytest.raises(SignInRefused) as refused:
        signin_code_request(phone=PHONE, ip=IP)
    assert refused.value.code == "send_failed"
    assert SignInCode.objects.get().invalidated_at is not None


def test_http_sms_sender_posts_to_the_gateway(settings, monkeypatch):
    from deliberation.accounts import senders as otp

    settings.SIFANG_OTP_SENDER = "deliberation.accounts.senders.HttpSmsSender"
    settings.SIFANG_SMS_URL = "https://sms.example.test/send"
    settings.SIFANG_SMS_TOKEN = "t0ken"
    posted = {}

    class Response:
        status = 200

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        posted["url"] = request.full_url
        posted["body"] = request.data.decode()
        posted["auth"] = request.get_header("Authorization")
        return Response()

    monkeypatch.setattr(otp.urllib.request, "urlopen", fake_urlopen)
    signin_code_request(phone=PHONE, ip=IP)
    assert posted["url"] == "https://sms.example.test/send"
    assert PHONE in posted["body"] and posted["auth"] == "Bearer t0ken"
    assert not ConsoleSender.outbox


# --- the pages -----------------------------------------------------------------------------------


def test_sign_in_page_offers_phone_and_password(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="phone"' in body and 'name="password"' in body


def test_phone_code_sign_in_through_the_pages(client):
    response = client.post(reverse("signin-code-request"), {"phone": PHONE, "next": "/x/"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin-code-verify"))
    page = client.get(response["Location"])
    assert "139****5678" in page.content.decode()
    response = client.post(reverse("signin-code-verify"), {"code": last_code(), "next": "/x/"})
    assert response.status_code == 302 and response["Location"] == "/x/"
    assert client.session["_auth_user_id"] == str(User.objects.get(phone=PHONE).pk)


def test_pages_show_refusals_in_place(client):
    response = client.post(reverse("signin-code-request"), {"phone": "123"})
    assert response.status_code == 400
    assert "11 位" in response.content.decode()
    client.post(reverse("signin-code-request"), {"phone": PHONE})
    response = client.post(reverse("signin-code-verify"), {"code": wrong(last_code())})
    assert response.status_code == 400
    assert "还可以再试 4 次" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_next_cannot_leave_the_site(client):
    client.post(reverse("signin-code-request"), {"phone": PHONE})
    response = client.post(
        reverse("signin-code-verify"), {"code": last_code(), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_staff_password_login_still_works(client):
    UserFactory(username="chen", is_staff=True)
    response = client.post(
        reverse("login"), {"username": "chen", "password": "sifang-test-pass", "next": "/y/"}
    )
    assert response.status_code == 302 and response["Location"] == "/y/"


def test_asking_again_too_soon_leads_to_the_code_form_with_the_wait(client):
    client.post(reverse("signin-code-request"), {"phone": PHONE})
    client.session.flush()
    client.cookies.clear()  # e.g. another tab or device
    response = client.post(reverse("signin-code-request"), {"phone": PHONE}, follow=True)
    body = response.content.decode()
    assert "秒后再重新获取" in body and "139****5678" in body
    response = client.post(reverse("signin-code-verify"), {"code": last_code()})
    assert response.status_code == 302
    assert len(ConsoleSender.outbox) == 1


def test_rate_limited_page_answers_429(client, settings):
    settings.SIFANG_SIGNIN_LIMITS = {"ip_requests_per_hour": 1}
    client.post(reverse("signin-code-request"), {"phone": PHONE})
    response = client.post(reverse("signin-code-request"), {"phone": "13900000000"})
    assert response.status_code == 429
    assert "本网络" in response.content.decode()
