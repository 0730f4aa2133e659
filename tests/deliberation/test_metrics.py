"""The closed-loop rates against hand-computed examples (pure, no database) and the selector."""

import datetime as dt
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from deliberation.resolutions.metrics import (
    Period,
    ProposalFact,
    Rate,
    RatingFact,
    ResolutionFact,
    compute,
    compute_by_party,
    median_days_to_completion,
    on_time_rate,
    resolution_rate,
    response_rate,
    satisfaction_rate,
)

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
AS_OF = dt.datetime(2026, 12, 10, 12, 0, tzinfo=TZ)


def at(day: int, hour: int = 9, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


def proposal(day, responded=None, days=3, party="property"):
    submitted = at(day)
    return ProposalFact(
        submitted_at=submitted,
        submitted_on=submitted.date(),
        responded_at=responded,
        response_days=days,
        responsible_party=party,
    )


def resolution(decided_day, submitted, deadline, status, completed=None, party="property"):
    return ResolutionFact(
        decided_on=dt.date(2026, 11, decided_day),
        proposal_submitted_at=submitted,
        deadline=deadline,
        status=status,
        completed_at=completed,
        completed_on=completed.date() if completed else None,
        responsible_party=party,
    )


PROPOSALS = [
    proposal(2, responded=at(3)),  # 1 day: in time
    proposal(5, responded=at(8)),  # exactly 3 days: in time
    proposal(10, responded=at(14)),  # 4 days: late
    proposal(20),  # never answered, limit long past: late
    proposal(30, party="committee"),  # unanswered but... 30 Nov + 3 d < 10 Dec: late
    proposal(15, responded=at(15, 10), party=""),  # unassigned -> committee; in time
    ProposalFact(  # October: outside the period
        submitted_at=at(31, month=10),
        submitted_on=dt.date(2026, 10, 31),
        responded_at=None,
        response_days=3,
    ),
]


def test_response_rate_hand_computed():
    # In period: 6 proposals; all are answered or past their limit; in time: 2 Nov, 5 Nov, 15 Nov.
    assert response_rate(PROPOSALS, NOVEMBER, AS_OF) == Rate(3, 6)


def test_unanswered_proposal_still_within_limit_is_not_counted_yet():
    fresh = [proposal(29)]
    assert response_rate(fresh, NOVEMBER, at(30, hour=9)) == Rate(0, 0)
    assert response_rate(fresh, NOVEMBER, at(3, month=12)) == Rate(0, 1)


RESOLUTIONS = [
    # completed 10 days after submission, before its deadline
    resolution(3, at(1), dt.date(2026, 11, 20), "completed", at(11)),
    # completed after its deadline (late); 29 days after submission
    resolution(4, at(1), dt.date(2026, 11, 25), "completed", at(30)),
    # open, past its deadline at AS_OF: due and late
    resolution(5, at(2), dt.date(2026, 12, 1), "in_progress", party="department"),
    # open, deadline not yet come: not due
    resolution(6, at(2), dt.date(2026, 12, 31), "in_progress", party="department"),
    # reopened: not resolved; deadline not come
    resolution(7, at(3), dt.date(2026, 12, 20), "reopened"),
    # completed on the deadline day, 4 days after submission (committee)
    resolution(8, at(5), dt.date(2026, 11, 9), "completed", at(9, hour=9), party="committee"),
]


def test_resolution_rate_hand_computed():
    # 6 decided in November, 3 completed.
    assert resolution_rate(RESOLUTIONS, NOVEMBER) == Rate(3, 6)


def test_on_time_rate_hand_computed():
    # Due: three completed + one overdue open = 4; on time: the first and the last.
    assert on_time_rate(RESOLUTIONS, NOVEMBER, AS_OF.date()) == Rate(2, 4)


def test_median_days_hand_computed():
    # Completed: 10, 29 and 4 days -> median 10.
    assert median_days_to_completion(RESOLUTIONS, NOVEMBER) == 10.0
    two = RESOLUTIONS[:2]  # 10 and 29 -> 19.5
    assert median_days_to_completion(two, NOVEMBER) == 19.5
    assert median_days_to_completion(RESOLUTIONS[2:4], NOVEMBER) is None


RATINGS = [
    RatingFact(dt.date(2026, 11, 12), "satisfied", "property"),
    RatingFact(dt.date(2026, 11, 12), "basic", "property"),
    RatingFact(dt.date(2026, 11, 13), "dissatisfied", "property"),
    RatingFact(dt.date(2026, 11, 13), "satisfied", "committee"),
    RatingFact(dt.date(2026, 12, 2), "dissatisfied", "property"),  # outside
]


def test_satisfaction_rate_counts_basic_as_satisfied():
    assert satisfaction_rate(RATINGS, NOVEMBER) == Rate(3, 4)


def test_compute_all_and_display():
    metrics = compute(
        proposals=PROPOSALS, resolutions=RESOLUTIONS, ratings=RATINGS, period=NOVEMBER, as_of=AS_OF
    )
    assert metrics.response.value == Fraction(1, 2)
    assert metrics.satisfaction.display() == "75%"
    assert metrics.on_time.percent == 50.0
    assert (metrics.proposals, metrics.resolutions, metrics.ratings) == (6, 6, 4)
    assert metrics.rating_counts == {"satisfied": 2, "basic": 1, "dissatisfied": 1}
    assert metrics.median_days == 10.0


def test_empty_denominators_show_a_dash_not_zero():
    metrics = compute(proposals=[], resolutions=[], ratings=[], period=NOVEMBER, as_of=AS_OF)
    assert metrics.response == Rate(0, 0)
    assert metrics.response.value is None and metrics.response.display() == "—"
    assert metrics.median_days is None


def test_by_party_hand_computed():
    by_party = compute_by_party(
        proposals=PROPOSALS,
        resolutions=RESOLUTIONS,
        ratings=RATINGS,
        period=NOVEMBER,
        as_of=AS_OF,
        parties=["property", "committee", "department"],
    )
    prop = by_party["property"]
    # property proposals: 2, 5, 10, 20 Nov -> 2 in time of 4
    assert prop.response == Rate(2, 4)
    # property resolutions: #1, #2 completed, #5 reopened -> 2/3; due: #1, #2 -> on time 1/2
    assert prop.resolution == Rate(2, 3)
    assert prop.on_time == Rate(1, 2)
    assert prop.satisfaction == Rate(2, 3)
    assert prop.median_days == 19.5
    committee = by_party["committee"]
    # committee proposals: 30 Nov (late) and the unassigned one of 15 Nov (in time)
    assert committee.response == Rate(1, 2)
    assert committee.resolution == Rate(1, 1) and committee.on_time == Rate(1, 1)
    assert committee.median_days == 4.0
    department = by_party["department"]
    assert department.resolution == Rate(0, 2)
    assert department.on_time == Rate(0, 1)
    assert department.satisfaction.display() == "—"


@pytest.mark.django_db
def test_metrics_facts_selector_in_three_queries(django_assert_num_queries):
    from deliberation.resolutions.selectors import metrics_facts
    from tests.factories.resolutions import ResolutionFactory

    first = ResolutionFactory()
    ResolutionFactory(proposal__community=first.community)
    with django_assert_num_queries(3):
        proposals, resolutions, ratings = metrics_facts(
            community=first.community,
            period=Period(dt.date.today() - dt.timedelta(days=1), dt.date.today()),
        )
    assert len(resolutions) == 2 and len(proposals) == 2 and ratings == []
