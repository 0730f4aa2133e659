"""Admin supervision views: list scoped to one's communities, progress with photos, complete,
reopen, follow-up, create without a vote, metrics."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from deliberation.models import Party, ProposalStatus, Rating, ResolutionStatus
from deliberation.registry.rules import Role
from deliberation.resolutions.services import resolution_complete, resolution_create
from tests.factories.base import CommunityFactory
from tests.factories.resolutions import DecidedProposalFactory, resident, staff_member

pytestmark = pytest.mark.django_db


def in_role(member, role):
    member.user.groups.add(Group.objects.get(name=role))
    return member.user


@pytest.fixture
def scene():
    call_command("ensure_roles")
    community = CommunityFactory(slug="admintown")
    resolution = resolution_create(
        proposal=DecidedProposalFactory(community=community, title="垃圾房异味"),
        decision="每日清运两次",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=3),
        actor=None,
    )
    return {
        "community": community,
        "resolution": resolution,
        "property": in_role(staff_member(community, Party.PROPERTY), Role.PROPERTY),
        "committee": in_role(staff_member(community, Party.COMMITTEE), Role.FACILITATOR),
    }


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 200, 10)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "bin.jpg"
    return buffer


def test_list_is_scoped(client, scene):
    CommunityFactory()  # elsewhere, invisible
    client.force_login(scene["property"])
    html = client.get(reverse("deliberation_resolution_list")).content.decode()
    assert "垃圾房异味" in html
    outsider = in_role(staff_member(CommunityFactory(), Party.PROPERTY), Role.PROPERTY)
    client.force_login(outsider)
    html = client.get(reverse("deliberation_resolution_list")).content.decode()
    assert "垃圾房异味" not in html
    url = reverse("deliberation_resolution_manage", args=[scene["resolution"].pk])
    refused = client.get(url)  # Wagtail turns PermissionDenied into a redirect with a message
    assert (refused.status_code, refused.url) == (302, "/admin/")


def test_property_posts_progress_and_completes(client, scene):
    client.force_login(scene["property"])
    url = reverse("deliberation_resolution_manage", args=[scene["resolution"].pk])
    page = client.get(url).content.decode()
    assert "填报进展" in page and "重新办理</h2>" not in page
    response = client.post(
        url,
        {
            "action": "progress",
            "progress-text": "增加清运车次",
            "progress-percent": "50",
            "progress-stage": "during",
            "progress-photos": [jpeg()],
        },
    )
    assert response.status_code == 302
    update = scene["resolution"].updates.get()
    assert update.photos.count() == 1
    bad = client.post(url, {"action": "complete", "complete-report": ""})
    assert bad.status_code == 400
    client.post(url, {"action": "complete", "complete-report": "已改为每日两次"})
    scene["resolution"].refresh_from_db()
    assert scene["resolution"].status == ResolutionStatus.COMPLETED


def test_committee_cannot_post_progress_but_reopens_and_follows_up(client, scene):
    client.force_login(scene["committee"])
    url = reverse("deliberation_resolution_manage", args=[scene["resolution"].pk])
    assert "填报进展" not in client.get(url).content.decode()
    client.post(url, {"action": "progress", "progress-text": "x", "progress-percent": "5"})
    assert not scene["resolution"].updates.exists()
    resolution_complete(resolution=scene["resolution"], actor=scene["property"], report="好了")
    member = resident(scene["community"])
    member.user.phone = "13900001111"
    member.user.save()
    response = client.post(
        url,
        {
            "action": "followup",
            "followup-kind": "visit",
            "followup-phone": "13900001111",
            "followup-note": "上门回访",
            "followup-score": "satisfied",
        },
    )
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert rating.channel == "followup" and rating.entered_by == scene["committee"]
    client.post(url, {"action": "reopen", "reopen-reason": "夜间仍有异味"})
    scene["resolution"].refresh_from_db()
    assert scene["resolution"].status == ResolutionStatus.REOPENED


def test_committee_creates_resolution_without_vote(client, scene):
    proposal = DecidedProposalFactory(
        community=scene["community"], status=ProposalStatus.ACCEPTED, title="健身器材松动"
    )
    client.force_login(scene["committee"])
    response = client.post(
        reverse("deliberation_resolution_create"),
        {
            "proposal": proposal.pk,
            "decision": "物业一周内加固",
            "responsible_party": "property",
            "deadline": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
            "note": "经协商无需表决",
        },
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DECIDED
    assert proposal.resolutions.get().decision == "物业一周内加固"
    client.force_login(scene["property"])
    refused = client.get(reverse("deliberation_resolution_create"))
    assert (refused.status_code, refused.url) == (302, "/admin/")


def test_admin_metrics(client, scene):
    client.force_login(scene["committee"])
    html = client.get(reverse("deliberation_resolution_metrics")).content.decode()
    assert html.count("<svg") >= 5 and "响应率" in html
