"""The inbox (/inbox/), the header's unread count, the preferred channel, and the printed letters
per building that committee staff hand to the building head."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deliberation.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Party,
)
from deliberation.notifications import services
from deliberation.registry.rules import Role
from tests.factories.base import (
    BuildingFactory,
    CommunityFactory,
    MemberFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
)
from tests.meetings.pdf_helpers import qr_codes_on_page

pytestmark = pytest.mark.django_db


def tell(member, n: int = 1, *, prefix: str = "通知", url: str = "") -> None:
    for i in range(n):
        services.notify_users(
            community=member.community,
            user_ids=[member.user_id],
            kind=NotificationKind.GENERAL,
            key=f"{prefix}:{i}",
            title=f"{prefix}{i}",
            body="正文",
            url=url,
        )


def unread_badge(html: str) -> str | None:
    match = re.search(r'class="badge badge-unread"[^>]*>(\d+)<', html)
    return match.group(1) if match else None


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("inbox", "inbox-preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(reverse("inbox-read"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_inbox_lists_own_messages_and_header_counts_unread(client):
    member = MemberFactory()
    other = MemberFactory(community=member.community)
    tell(member, 3)
    tell(other, 2, prefix="别人的")
    client.force_login(member.user)
    response = client.get(reverse("inbox"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "通知0" in html and "通知2" in html and "别人的" not in html
    assert unread_badge(html) == "3"


def test_the_header_count_costs_one_query(client):
    member = MemberFactory()
    tell(member, 2)
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("inbox-preferences")).content.decode()
    assert unread_badge(html) == "2"
    counted = [q["sql"] for q in queries if "deliberation_notification" in q["sql"]]
    assert len(counted) == 1 and "COUNT" in counted[0].upper()


@pytest.mark.parametrize("size", [3, 30])
def test_inbox_query_budget(client, django_assert_max_num_queries, size):
    member = MemberFactory()
    tell(member, size)
    client.force_login(member.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("inbox"))
    assert response.status_code == 200


def test_mark_one_read_then_all(client):
    member = MemberFactory()
    other = MemberFactory(community=member.community)
    tell(member, 3)
    tell(other, 1, prefix="别人的")
    client.force_login(member.user)
    mine = Notification.objects.filter(recipient=member.user).order_by("pk")
    theirs = Notification.objects.get(recipient=other.user)
    response = client.post(reverse("inbox-read"), {"id": mine[0].pk})
    assert response.status_code == 303
    assert Notification.objects.filter(recipient=member.user, read_at__isnull=True).count() == 2
    # Another person's message cannot be marked from here, and a bad id loses nothing.
    client.post(reverse("inbox-read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = client.post(reverse("inbox-read"), {"id": "abc"}, follow=True)
    assert "消息编号无效" in response.content.decode()
    assert Notification.objects.filter(recipient=member.user, read_at__isnull=True).count() == 2
    client.post(reverse("inbox-read"))
    assert not Notification.objects.filter(recipient=member.user, read_at__isnull=True).exists()
    html = client.get(reverse("inbox")).content.decode()
    assert unread_badge(html) is None


def test_preferred_channel_is_saved_per_community(client):
    member = MemberFactory()
    second = MemberFactory(user=member.user)
    client.force_login(member.user)
    response = client.get(reverse("inbox-preferences"))
    html = response.content.decode()
    assert member.community.name in html and second.community.name in html
    response = client.post(
        reverse("inbox-preferences"),
        {f"channel_{member.pk}": NotificationChannel.LETTER, f"channel_{second.pk}": ""},
    )
    assert response.status_code == 303
    member.refresh_from_db()
    second.refresh_from_db()
    assert member.preferred_channel == NotificationChannel.LETTER
    assert second.preferred_channel == ""


def test_an_unknown_channel_is_refused_and_nothing_changes(client):
    member = MemberFactory(preferred_channel=NotificationChannel.EMAIL)
    client.force_login(member.user)
    response = client.post(reverse("inbox-preferences"), {f"channel_{member.pk}": "pigeon"})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.preferred_channel == NotificationChannel.EMAIL


# --- letters --------------------------------------------------------------------------------


def committee(community):
    from deliberation.registry.services import roles_ensure

    roles_ensure()
    user = UserFactory(is_staff=False)
    user.groups.add(Group.objects.get(name=Role.FACILITATOR))
    MemberFactory(community=community, user=user, party=Party.COMMITTEE)
    return user


@pytest.fixture
def letters(settings):
    settings.SITE_URL = "https://yishi.example.org"
    community = CommunityFactory(name="民主村")
    building = BuildingFactory(community=community, name="3号楼")
    unit = UnitFactory(building=building, number="502", floor=5)
    first = OwnershipFactory(
        unit=unit,
        member=MemberFactory(
            community=community, user=UserFactory(phone=None, email="", display_name="张桂兰")
        ),
    ).member
    second = OwnershipFactory(
        unit=unit,
        member=MemberFactory(
            community=community, user=UserFactory(phone=None, email="", display_name="李建国")
        ),
    ).member
    texted = OwnershipFactory(
        unit=UnitFactory(building=building, number="101", floor=1),
        member=MemberFactory(community=community, preferred_channel=NotificationChannel.LETTER),
    ).member
    services.notify_users(
        community=community,
        user_ids=[first.user_id, second.user_id, texted.user_id],
        kind=NotificationKind.POLL_OPENED,
        key="poll:7:opened",
        title="表决开始:加装电梯",
        body="截止时间:2026-12-08 18:00",
        url=f"/{community.slug}/polls/7/",
    )
    return {"community": community, "building": building, "staff": committee(community)}


def test_letters_pdf_has_one_letter_per_household_with_the_qr_code(client, letters, tmp_path):
    client.force_login(letters["staff"])
    community, building = letters["community"], letters["building"]
    index = client.get(reverse("notifications_letters"))
    assert index.status_code == 200
    html = index.content.decode()
    assert "3号楼" in html
    upto = max(Notification.objects.values_list("pk", flat=True))
    url = reverse("notifications_letters_pdf", args=[community.slug, building.pk])
    assert f"{url}?upto={upto}" in html
    response = client.get(url, {"upto": upto})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "letters.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) == 2  # two households, one page each
    # Floor 1 first; the co-owned household gets one letter naming both owners, the matter once.
    assert "101" in pages[0] and "502" in pages[1]
    assert "张桂兰" in pages[1] and "李建国" in pages[1]
    assert pages[1].count("表决开始:加装电梯") == 1
    assert "民主村" in pages[1] and "3号楼" in pages[1]
    poll_url = f"https://yishi.example.org/{community.slug}/polls/7/"
    assert qr_codes_on_page(pdf, tmp_path, page=2) == [poll_url]
    # Printed: recorded as handed over, and nothing is left to print.
    response = client.post(
        reverse("notifications_letters_printed", args=[community.slug, building.pk]),
        {"upto": upto},
    )
    assert response.status_code == 302
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
    assert client.get(url, {"upto": upto}).status_code == 404


def test_letters_only_for_committee_staff_of_the_community(client, letters):
    community, building = letters["community"], letters["building"]
    url = reverse("notifications_letters_pdf", args=[community.slug, building.pk])
    printed = reverse("notifications_letters_printed", args=[community.slug, building.pk])
    property_staff = MemberFactory(
        community=community, party=Party.PROPERTY, user=UserFactory(is_staff=True)
    ).user
    elsewhere = committee(CommunityFactory())
    for user in (property_staff, elsewhere):
        client.force_login(user)
        assert client.get(url, {"upto": 10**6}).status_code in (302, 403)
        assert client.post(printed, {"upto": 10**6}).status_code in (302, 403)
    assert set(Notification.objects.values_list("status", flat=True)) == {
        NotificationStatus.PENDING
    }
    client.force_login(elsewhere)
    index = client.get(reverse("notifications_letters"))
    assert index.status_code == 200 and "民主村" not in index.content.decode()
    client.force_login(property_staff)
    assert client.get(reverse("notifications_letters")).status_code in (302, 403)
    client.logout()
    assert client.get(url, {"upto": 1}).status_code == 302


def test_letters_pdf_without_upto_is_not_found(client, letters):
    client.force_login(letters["staff"])
    url = reverse(
        "notifications_letters_pdf", args=[letters["community"].slug, letters["building"].pk]
    )
    assert client.get(url).status_code == 404
    assert client.get(url, {"upto": "x"}).status_code == 404
