"""The street's numbers by SQL aggregation agree with the pure metrics, community by community,
and cost the same number of queries for a small and a large street."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from deliberation.models import (
    Community,
    Grid,
    Proposal,
    Rating,
    RatingScore,
    Resolution,
    ResolutionStatus,
)
from deliberation.resolutions.metrics import Period, compute
from deliberation.resolutions.selectors import metrics_facts
from deliberation.supervision.selectors import (
    building_counts,
    community_measures,
    hotspots,
    totals,
    unit_measures,
)
from tests.factories.base import BuildingFactory, CommunityFactory, MemberFactory
from tests.factories.proposals import ProposalFactory
from tests.factories.resolutions import ResolutionFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 11, 28, 12, 0))
PERIOD = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def _street(rng: random.Random, communities: int, matters: int) -> list[Community]:
    made = []
    for n in range(communities):
        community = CommunityFactory(response_days=rng.choice([1, 3, 5]))
        made.append(community)
        member = MemberFactory(community=community)
        for _ in range(matters):
            submitted = NOW - dt.timedelta(hours=rng.randint(0, 24 * 45))
            responded = (
                submitted + dt.timedelta(hours=rng.randint(1, 24 * 7))
                if rng.random() < 0.7
                else None
            )
            if responded is not None and responded > NOW:
                responded = None
            proposal = ProposalFactory(community=community, author=member)
            Proposal.objects.filter(pk=proposal.pk).update(
                submitted_at=submitted, responded_at=responded
            )
        for _ in range(max(1, matters // 3)):
            decided = NOW - dt.timedelta(days=rng.randint(0, 40))
            status = rng.choice(
                [
                    ResolutionStatus.IN_PROGRESS,
                    ResolutionStatus.COMPLETED,
                    ResolutionStatus.REOPENED,
                ]
            )
            done = status == ResolutionStatus.COMPLETED
            resolution = ResolutionFactory(
                proposal__community=community,
                decided_at=decided,
                status=status,
                completed_at=decided + dt.timedelta(days=1) if done else None,
                completion_report="已完成" if done else "",
            )
            for _ in range(rng.randint(0, 3)):
                rating = Rating.objects.create(
                    resolution=resolution,
                    member=MemberFactory(community=community),
                    score=rng.choice(list(RatingScore.values)),
                )
                Rating.objects.filter(pk=rating.pk).update(
                    created_at=NOW - dt.timedelta(days=rng.randint(0, 40))
                )
        assert n >= 0
    return made


def test_sql_measures_agree_with_the_pure_metrics() -> None:
    communities = _street(random.Random(14), communities=3, matters=30)
    rows = community_measures(
        Community.objects.filter(pk__in=[c.pk for c in communities]), PERIOD, as_of=NOW
    )
    assert len(rows) == 3
    for row in rows:
        community = Community.objects.get(pk=row.community_id)
        proposals, resolutions, ratings = metrics_facts(community=community, period=PERIOD)
        pure = compute(
            proposals=proposals,
            resolutions=resolutions,
            ratings=ratings,
            period=PERIOD,
            as_of=NOW,
        )
        assert row.received == pure.proposals
        assert row.response == pure.response
        assert row.resolution == pure.resolution
        assert row.satisfaction == pure.satisfaction
        overdue = Proposal.objects.filter(
            community=community,
            responded_at__isnull=True,
            submitted_at__lt=NOW - dt.timedelta(days=community.response_days),
        ).count()
        assert row.overdue == overdue
    street = totals(rows)
    assert street.received == sum(r.received for r in rows)
    assert street.response.denominator == sum(r.response.denominator for r in rows)


@pytest.mark.parametrize("size", [(2, 5), (8, 20)])
def test_the_street_costs_a_fixed_number_of_queries(size, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    communities = _street(random.Random(3), *size)
    qs = Community.objects.filter(pk__in=[c.pk for c in communities])
    # 1 list + 1 intake + at most 3 response limits + resolutions + ratings + dispatches;
    # then hotspots.
    with django_assert_max_num_queries(9):
        rows = community_measures(qs, PERIOD, as_of=NOW)
        hotspots(qs, PERIOD)
    assert len(rows) == size[0]


def test_hotspots_and_the_building_map_count_by_place_category_and_month() -> None:
    community = CommunityFactory()
    grid = Grid.objects.create(community=community, name="一网格", code="G1")
    hot, quiet = (
        BuildingFactory(community=community, name=n, grid=grid) for n in ("1号楼", "2号楼")
    )
    member = MemberFactory(community=community)
    for _ in range(3):
        proposal = ProposalFactory(community=community, author=member, category="safety")
        Proposal.objects.filter(pk=proposal.pk).update(
            building=hot, grid=grid, submitted_at=NOW - dt.timedelta(days=2)
        )
    spots = hotspots(Community.objects.filter(pk=community.pk), PERIOD)
    assert [(s.grid, s.category, s.month, s.count) for s in spots] == [
        ("一网格", "安全", dt.date(2026, 11, 1), 3)
    ]
    counts = {b.name: b.count for b in building_counts(community, PERIOD)}
    assert counts == {"1号楼": 3, "2号楼": 0}
    assert quiet.pk
    assert Resolution.objects.count() == 0


def test_dispatch_measures_per_community_and_per_unit() -> None:
    from deliberation.dispatch.services import (
        dispatch_claim,
        dispatch_complete,
        dispatch_create,
        dispatch_return,
    )
    from deliberation.proposals.services import proposal_submit
    from tests.factories.dispatch import dispatch_world

    w = dispatch_world()
    sent_at = w.now - dt.timedelta(days=3)

    def matter(title: str) -> Proposal:
        return proposal_submit(
            community=w.community, author=w.author, title=title, body=title, category="facilities"
        )

    done = dispatch_create(proposal=w.proposal, unit=w.water, actor=w.committee, now=sent_at)
    dispatch_claim(dispatch=done, actor=w.water_staff, now=sent_at + dt.timedelta(hours=1))
    dispatch_complete(
        dispatch=done, actor=w.water_staff, report="已更换水管", now=sent_at + dt.timedelta(hours=5)
    )
    waiting = dispatch_create(
        proposal=matter("路灯不亮"), unit=w.power, actor=w.committee, now=sent_at
    )
    returned = dispatch_create(
        proposal=matter("井盖松动"), unit=w.water, actor=w.committee, now=sent_at
    )
    dispatch_return(
        dispatch=returned,
        actor=w.water_staff,
        reason="井盖归市政",
        now=sent_at + dt.timedelta(hours=2),
    )
    assert waiting.pk

    period = Period(sent_at.date() - dt.timedelta(days=1), w.now.date())
    qs = Community.objects.filter(pk__in=[w.community.pk, w.other.pk])
    [home] = [
        m for m in community_measures(qs, period, as_of=w.now) if m.community_id == w.community.pk
    ]
    assert (home.dispatched, home.claimed, home.returned, home.dispatch_completed) == (3, 1, 1, 1)
    assert home.dispatch_overdue == 1  # the power company never claimed within 24 hours

    units = {u.name: u for u in unit_measures(qs, period, as_of=w.now)}
    water, power = units["自来水公司"], units["供电公司"]
    assert (water.dispatched, water.claimed_in_time, water.returned) == (2, 1, 1)
    assert water.response.numerator == 1 and water.response.denominator == 2
    assert water.resolution.numerator == 1
    assert (power.dispatched, power.dispatch_overdue, power.claimed) == (1, 1, 0)
    assert "远方物业" not in units  # nothing was sent to it
