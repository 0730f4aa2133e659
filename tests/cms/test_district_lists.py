"""A community's lists inside a street of several communities (issue 14 point 7): the public
proposal and resolution lists and the admin's matter list for the community's committee run the
same number of queries whatever the number of matters, resolutions and communities, and show
only what belongs to the community."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    Category,
    Channel,
    Community,
    Grid,
    Member,
    Party,
    Proposal,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
)
from tests.factories.base import BuildingFactory, CommunityFactory, MemberFactory
from tests.factories.levels import GridFactory, StreetFactory
from tests.factories.proposals import ProposalFactory, staff

pytestmark = pytest.mark.django_db

# (communities in the street, matters per community, resolutions per community): the second
# street is built beside the first, so the database holds both when it is measured.
SMALL, LARGE = (2, 25, 5), (5, 120, 40)
CHANNELS = [Channel.ONLINE, Channel.BOX, Channel.HOTLINE, Channel.VISIT]
STATUSES = [ProposalStatus.ACCEPTED, ProposalStatus.ANSWERED, ProposalStatus.DECIDED]


@dataclass
class Street:
    communities: list[Community]
    committee: Member  # of the first community


def _street(prefix: str, communities: int, matters: int, resolutions: int) -> Street:
    street = StreetFactory()
    made = []
    now = timezone.now()
    for c in range(communities):
        slug = f"{prefix}{c}"
        community = CommunityFactory(name=f"{prefix}第{c}社区", slug=slug, street=street)
        grids: list[Grid] = [
            GridFactory(community=community, name=f"{g}网格", code=f"G{g}") for g in range(2)
        ]
        buildings = [
            BuildingFactory(community=community, name=f"{b}号楼", grid=grids[b % 2])
            for b in range(4)
        ]
        authors = [MemberFactory(community=community) for _ in range(5)]
        rows = []
        for n in range(matters):
            building = buildings[n % len(buildings)]
            status = STATUSES[n % len(STATUSES)]
            rows.append(
                ProposalFactory.build(
                    community=community,
                    author=authors[n % len(authors)],
                    title=f"{slug}议题{n}号",
                    channel=CHANNELS[n % len(CHANNELS)],
                    category=list(Category)[n % len(Category)],
                    status=status,
                    answer="已答复" if status == ProposalStatus.ANSWERED else "",
                    building=building,
                    grid_id=building.grid_id,
                    case_number=f"{slug}-{now:%Y%m}-{n + 1:04d}",
                )
            )
        created = Proposal.objects.bulk_create(rows)
        for n, proposal in enumerate(created):
            Proposal.objects.filter(pk=proposal.pk).update(submitted_at=now - dt.timedelta(hours=n))
        decided = [p for p in created if p.status == ProposalStatus.DECIDED]
        Resolution.objects.bulk_create(
            Resolution(
                community=community,
                proposal=decided[n % len(decided)],
                decision=f"{slug}决议{n}号",
                responsible_party=Party.PROPERTY,
                deadline=timezone.localdate() + dt.timedelta(days=(n % 20) - 10),
                status=ResolutionStatus.IN_PROGRESS,
                decided_at=now - dt.timedelta(minutes=n),
            )
            for n in range(resolutions)
        )
        made.append(community)
    return Street(made, staff(made[0]))


def _measure(client, django_assert_max_num_queries, url: str, bound: int, **params):  # type: ignore[no-untyped-def]
    """The response and its number of queries, after a first request that warms the session,
    site and permission caches."""
    client.get(url, params)
    with django_assert_max_num_queries(bound) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return response, len(captured.captured_queries)


def test_public_proposal_list_queries_do_not_grow(client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    counts = []
    for prefix, size in (("small", SMALL), ("large", LARGE)):
        made = _street(prefix, *size)
        community = made.communities[0]
        url = reverse("proposal-list", args=[community.slug])
        response, count = _measure(client, django_assert_max_num_queries, url, 8)
        counts.append(count)
        html = response.content.decode()
        assert response.context["page"].paginator.count == size[1]
        assert f"{community.slug}议题0号" in html  # newest first
        assert f"{made.communities[1].slug}议题" not in html
        # Filtered by status and channel: the same budget.
        response, count = _measure(
            client, django_assert_max_num_queries, url, 8, status="accepted", channel="box"
        )
        counts.append(count)
        expected = Proposal.objects.filter(
            community=community, status=ProposalStatus.ACCEPTED, channel=Channel.BOX
        ).count()
        assert expected > 0
        assert response.context["page"].paginator.count == expected
    assert counts[2:] == counts[:2]


def test_public_resolution_list_queries_do_not_grow(client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    counts = []
    for prefix, size in (("small", SMALL), ("large", LARGE)):
        made = _street(prefix, *size)
        community = made.communities[0]
        url = reverse("resolution-list", args=[community.slug])
        response, count = _measure(client, django_assert_max_num_queries, url, 6)
        counts.append(count)
        html = response.content.decode()
        assert f"共 {size[2]} 项决议" in html
        assert f"{community.slug}决议0号" in html
        assert f"{made.communities[1].slug}决议" not in html
    assert counts[1] == counts[0]


def test_admin_matter_list_for_the_committee_queries_do_not_grow(
    client, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    counts = []
    url = reverse("wagtailsnippets_deliberation_proposal:list")
    for prefix, size in (("small", SMALL), ("large", LARGE)):
        made = _street(prefix, *size)
        community = made.communities[0]
        client.force_login(made.committee.user)
        # The admin's own chrome (menu, user, permissions) plus one page of rows with their
        # community and grid joined.
        response, count = _measure(client, django_assert_max_num_queries, url, 35)
        counts.append(count)
        html = response.content.decode()
        assert f"{community.slug}-" in html  # the case numbers of its own matters
        for other in made.communities[1:]:
            assert f"{other.slug}议题" not in html
            # Nor is another community offered in the community filter.
            assert other.name not in html
        assert response.context["items_count"] == size[1]
        filtered = client.get(url, {"community": community.pk, "channel": "box"})
        assert filtered.context["items_count"] == size[1] // 4
    assert counts[1] == counts[0]
