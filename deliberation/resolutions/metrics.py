"""The closed loop's rates, as pure functions over plain data (no ORM).

Definitions (see ``docs/metrics.md`` for the reasoning and the 12345 sources):

- 响应率 (response rate): of the proposals *submitted in the period* whose response time limit
  has run out by ``as_of`` or that were already answered, the share first answered within the
  community's limit (``responded_at - submitted_at <= response_days``).
- 解决率 (resolution rate): of the resolutions *decided in the period*, the share completed (and
  not reopened) by ``as_of``.
- 按时办结率 (on-time share): of the resolutions decided in the period that are *due* — completed,
  or past their deadline while still open — the share completed on or before the deadline.
- 满意率 (satisfaction rate): of the ratings *given in the period*, the share 满意 or 基本满意.
- 平均办结天数 is not used; the *median* days from proposal submission to completion, over the
  resolutions decided in the period and completed, resists a few very long cases.

Every rate is a :class:`Rate` with an exact ``Fraction``; an empty denominator gives ``None``
(shown as "—"), never 0% or 100%.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

SATISFIED = "satisfied"
BASIC = "basic"
DISSATISFIED = "dissatisfied"
COMPLETED = "completed"


@dataclass(frozen=True)
class Period:
    """Inclusive date range [start, end] in the community's local time."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class ProposalFact:
    submitted_at: dt.datetime
    submitted_on: dt.date
    responded_at: dt.datetime | None
    response_days: int
    responsible_party: str = ""


@dataclass(frozen=True)
class ResolutionFact:
    decided_on: dt.date
    proposal_submitted_at: dt.datetime
    deadline: dt.date
    status: str
    completed_at: dt.datetime | None
    completed_on: dt.date | None
    responsible_party: str


@dataclass(frozen=True)
class RatingFact:
    rated_on: dt.date
    score: str
    responsible_party: str


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def percent(self) -> float | None:
        """Percentage rounded to one decimal, or ``None`` when there is nothing to measure."""
        value = self.value
        return None if value is None else round(float(value) * 100, 1)

    def display(self) -> str:
        percent = self.percent
        return "—" if percent is None else f"{percent:g}%"


@dataclass(frozen=True)
class Metrics:
    response: Rate
    resolution: Rate
    satisfaction: Rate
    on_time: Rate
    median_days: float | None
    proposals: int = 0
    resolutions: int = 0
    ratings: int = 0
    rating_counts: dict[str, int] = field(default_factory=dict)


def response_rate(proposals: Iterable[ProposalFact], period: Period, as_of: dt.datetime) -> Rate:
    """响应率. Unanswered proposals still within their limit at ``as_of`` are not counted yet."""
    num = den = 0
    for p in proposals:
        if p.submitted_on not in period:
            continue
        limit = dt.timedelta(days=p.response_days)
        if p.responded_at is not None:
            den += 1
            if p.responded_at - p.submitted_at <= limit:
                num += 1
        elif as_of - p.submitted_at > limit:
            den += 1
    return Rate(num, den)


def _decided_in(resolutions: Iterable[ResolutionFact], period: Period) -> list[ResolutionFact]:
    return [r for r in resolutions if r.decided_on in period]


def resolution_rate(resolutions: Iterable[ResolutionFact], period: Period) -> Rate:
    """解决率: completed (and not reopened since) over all decided in the period."""
    cohort = _decided_in(resolutions, period)
    return Rate(sum(1 for r in cohort if r.status == COMPLETED), len(cohort))


def on_time_rate(resolutions: Iterable[ResolutionFact], period: Period, as_of: dt.date) -> Rate:
    """按时办结率: completed by the deadline, over those completed or already past the deadline."""
    num = den = 0
    for r in _decided_in(resolutions, period):
        if r.status == COMPLETED and r.completed_on is not None:
            den += 1
            if r.completed_on <= r.deadline:
                num += 1
        elif r.deadline < as_of:
            den += 1
    return Rate(num, den)


def satisfaction_rate(ratings: Iterable[RatingFact], period: Period) -> Rate:
    """满意率: (满意 + 基本满意) over all ratings given in the period."""
    cohort = [r for r in ratings if r.rated_on in period]
    return Rate(sum(1 for r in cohort if r.score in (SATISFIED, BASIC)), len(cohort))


def median_days_to_completion(
    resolutions: Iterable[ResolutionFact], period: Period
) -> float | None:
    """Median of (completed_at − proposal submitted_at) in days (one decimal), or ``None``."""
    days = [
        (r.completed_at - r.proposal_submitted_at).total_seconds() / 86400
        for r in _decided_in(resolutions, period)
        if r.status == COMPLETED and r.completed_at is not None
    ]
    if not days:
        return None
    return round(statistics.median(days), 1)


def compute(
    *,
    proposals: Iterable[ProposalFact],
    resolutions: Iterable[ResolutionFact],
    ratings: Iterable[RatingFact],
    period: Period,
    as_of: dt.datetime,
) -> Metrics:
    """All rates for one set of facts (a community, or one responsible party's share of it)."""
    proposals = list(proposals)
    resolutions = list(resolutions)
    ratings = list(ratings)
    rated = [r for r in ratings if r.rated_on in period]
    counts = {SATISFIED: 0, BASIC: 0, DISSATISFIED: 0}
    for r in rated:
        counts[r.score] = counts.get(r.score, 0) + 1
    return Metrics(
        response=response_rate(proposals, period, as_of),
        resolution=resolution_rate(resolutions, period),
        satisfaction=satisfaction_rate(ratings, period),
        on_time=on_time_rate(resolutions, period, as_of.date()),
        median_days=median_days_to_completion(resolutions, period),
        proposals=sum(1 for p in proposals if p.submitted_on in period),
        resolutions=len(_decided_in(resolutions, period)),
        ratings=len(rated),
        rating_counts=counts,
    )


def compute_by_party(
    *,
    proposals: Iterable[ProposalFact],
    resolutions: Iterable[ResolutionFact],
    ratings: Iterable[RatingFact],
    period: Period,
    as_of: dt.datetime,
    parties: Iterable[str],
) -> dict[str, Metrics]:
    """:func:`compute` per responsible party. A proposal counts for the party it was assigned to
    at acceptance; one not yet assigned counts for ``committee`` (the 居委会 triages it)."""
    proposals = list(proposals)
    resolutions = list(resolutions)
    ratings = list(ratings)
    result: dict[str, Metrics] = {}
    for party in parties:
        result[party] = compute(
            proposals=[p for p in proposals if (p.responsible_party or "committee") == party],
            resolutions=[r for r in resolutions if r.responsible_party == party],
            ratings=[r for r in ratings if r.responsible_party == party],
            period=period,
            as_of=as_of,
        )
    return result
