"""The Atom feed of a community's resolution steps."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Party
from deliberation.resolutions.services import (
    resolution_complete,
    resolution_create,
    resolution_reopen,
)
from tests.factories.base import CommunityFactory
from tests.factories.resolutions import DecidedProposalFactory, staff_member

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def community():
    community = CommunityFactory(slug="feedtown", name="枫林社区")
    property_staff = staff_member(community, Party.PROPERTY).user
    committee = staff_member(community, Party.COMMITTEE).user
    proposal = DecidedProposalFactory(community=community, title="路灯不亮")
    resolution = resolution_create(
        proposal=proposal,
        decision="更换路灯",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=7),
        actor=committee,
    )
    resolution_complete(resolution=resolution, actor=property_staff, report="已更换 4 盏路灯")
    resolution_reopen(resolution=resolution, actor=committee, reason="仍有 1 盏不亮")
    hidden = DecidedProposalFactory(community=community, title="未公开议题", live=False)
    resolution_create(
        proposal=hidden,
        decision="不应出现",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate(),
        actor=committee,
    )
    other = CommunityFactory()
    resolution_create(
        proposal=DecidedProposalFactory(community=other, title="别的社区"),
        decision="别处",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate(),
        actor=None,
    )
    return community


def test_atom_feed_lists_steps_newest_first(client, community):
    response = client.get(reverse("resolution-feed", args=[community.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed, in a test
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text == "枫林社区 · 决议办理动态"
    entries = root.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == ["重新办理:路灯不亮", "已办结:路灯不亮", "形成决议:路灯不亮"]
    assert entries[0].find(f"{ATOM}summary").text == "仍有 1 盏不亮"
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == 3
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link.endswith(f"/{community.slug}/resolutions/{link.rstrip('/').split('/')[-1]}/")
    body = response.content.decode()
    assert "未公开议题" not in body and "别的社区" not in body


def test_feed_of_unknown_community_is_404(client):
    assert client.get("/no-such-place/resolutions/feed/").status_code == 404


def test_list_page_advertises_the_feed(client, community):
    html = client.get(reverse("resolution-list", args=[community.slug])).content.decode()
    assert 'type="application/atom+xml"' in html
    assert reverse("resolution-feed", args=[community.slug]) in html
