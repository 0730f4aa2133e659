"""The street's numbers, computed in the database (issue 14 point 5).

The same measures as ``resolutions.metrics`` (see docs/metrics.md for the 12345 definitions),
but counted by SQL aggregation grouped by community, so a street of 200 communities and 100,000
matters costs a fixed number of queries: one per measure group, plus one per distinct response
time limit (communities set their own limit; there are a handful of values, not one per
community), never one per community or per matter.

- received: matters submitted in the period;
- responded in time / due (响应率): of those whose limit ran out by ``as_of`` or that were
  answered, the ones first answered within the community's limit;
- overdue: matters still unanswered past their limit at ``as_of`` (whenever submitted);
- settled / decided (解决率): resolutions decided in the period and completed;
- satisfied / rated (满意率): ratings given in the period that are 满意 or 基本满意.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from deliberation.models import (
    Building,
    Category,
    Community,
    Dispatch,
    DispatchStatus,
    Proposal,
    ProposalStatus,
    Rating,
    RatingScore,
    Resolution,
    ResolutionStatus,
    UnitKind,
)
from deliberation.resolutions.metrics import Period, Rate

# Matters that left the queue without a resolution of their own still count as received.
SETTLED_PROPOSAL_STATUSES = (
    ProposalStatus.ANSWERED,
    ProposalStatus.REJECTED,
    ProposalStatus.MERGED,
    ProposalStatus.DECIDED,
    ProposalStatus.NOT_ADOPTED,
)


# How long a matter waited for its first answer (a duration; NULL while unanswered).
_DELAY = ExpressionWrapper(F("responded_at") - F("submitted_at"), output_field=DurationField())


@dataclass
class CommunityMeasures:
    community_id: int
    name: str = ""
    received: int = 0
    responded_in_time: int = 0
    response_due: int = 0
    overdue: int = 0
    settled_matters: int = 0
    decided: int = 0
    completed: int = 0
    rated: int = 0
    satisfied: int = 0
    # Dispatch (派件) in the period: sent, claimed, returned, completed; overdue and escalated
    # as of now (computed from the due times, never stored).
    dispatched: int = 0
    claimed: int = 0
    returned: int = 0
    dispatch_completed: int = 0
    dispatch_overdue: int = 0
    escalated: int = 0

    @property
    def response(self) -> Rate:
        return Rate(self.responded_in_time, self.response_due)

    @property
    def resolution(self) -> Rate:
        return Rate(self.completed, self.decided)

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.satisfied, self.rated)


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def community_measures(
    communities: QuerySet[Community], period: Period, *, as_of: dt.datetime | None = None
) -> list[CommunityMeasures]:
    """One row per community of ``communities`` (ordered by name), all counted in SQL."""
    as_of = as_of or timezone.now()
    start, end = _bounds(period)
    rows: dict[int, CommunityMeasures] = {}
    limits: dict[int, list[int]] = defaultdict(list)
    for pk, name, days in communities.order_by("name").values_list("pk", "name", "response_days"):
        rows[pk] = CommunityMeasures(community_id=pk, name=name)
        limits[days].append(pk)
    ids = list(rows)
    if not ids:
        return []

    in_period = Proposal.objects.filter(
        community_id__in=ids, submitted_at__gte=start, submitted_at__lt=end
    )
    for intake in in_period.values("community_id").annotate(
        received=Count("pk"),
        settled=Count("pk", filter=Q(status__in=SETTLED_PROPOSAL_STATUSES)),
    ):
        measures = rows[intake["community_id"]]
        measures.received = intake["received"]
        measures.settled_matters = intake["settled"]

    # One query per distinct response limit: the limit is a per-community number of days.
    for days, community_ids in limits.items():
        limit = dt.timedelta(days=days)
        cutoff = as_of - limit  # submitted before this: the limit has run out by as_of
        for clock in (
            Proposal.objects.filter(community_id__in=community_ids)
            .annotate(delay=_DELAY)
            .values("community_id")
            .annotate(
                due=Count(
                    "pk",
                    filter=Q(submitted_at__gte=start, submitted_at__lt=end)
                    & (Q(responded_at__isnull=False) | Q(submitted_at__lt=cutoff)),
                ),
                in_time=Count(
                    "pk",
                    filter=Q(submitted_at__gte=start, submitted_at__lt=end)
                    & Q(responded_at__isnull=False, delay__lte=limit),
                ),
                overdue=Count(
                    "pk",
                    filter=Q(responded_at__isnull=True, submitted_at__lt=cutoff),
                ),
            )
        ):
            measures = rows[clock["community_id"]]
            measures.response_due = clock["due"]
            measures.responded_in_time = clock["in_time"]
            measures.overdue = clock["overdue"]

    for decided in (
        Resolution.objects.filter(community_id__in=ids, decided_at__gte=start, decided_at__lt=end)
        .exclude(status=ResolutionStatus.DRAFT)
        .values("community_id")
        .annotate(
            decided=Count("pk"), completed=Count("pk", filter=Q(status=ResolutionStatus.COMPLETED))
        )
    ):
        measures = rows[decided["community_id"]]
        measures.decided = decided["decided"]
        measures.completed = decided["completed"]

    for rating in (
        Rating.objects.filter(
            resolution__community_id__in=ids, created_at__gte=start, created_at__lt=end
        )
        .values("resolution__community_id")
        .annotate(
            rated=Count("pk"),
            satisfied=Count("pk", filter=Q(score__in=(RatingScore.SATISFIED, RatingScore.BASIC))),
        )
    ):
        measures = rows[rating["resolution__community_id"]]
        measures.rated = rating["rated"]
        measures.satisfied = rating["satisfied"]

    for sent in (
        Dispatch.objects.filter(
            proposal__community_id__in=ids, dispatched_at__gte=start, dispatched_at__lt=end
        )
        .values("proposal__community_id")
        .annotate(**_dispatch_counts(as_of))
    ):
        counts: dict[str, Any] = dict(sent)
        measures = rows[counts["proposal__community_id"]]
        for name in DISPATCH_FIELDS:
            setattr(measures, name, counts[name])
    return list(rows.values())


DISPATCH_FIELDS = (
    "dispatched",
    "claimed",
    "returned",
    "dispatch_completed",
    "dispatch_overdue",
    "escalated",
)


def _dispatch_counts(as_of: dt.datetime) -> dict[str, Count]:
    """Conditional counts over dispatches; overdue as ``dispatch.limits.overdue_reason`` says:
    waiting for a claim past its due time, or claimed with no feedback past its due time."""
    return {
        "dispatched": Count("pk"),
        "claimed": Count("pk", filter=Q(claimed_at__isnull=False)),
        "returned": Count("pk", filter=Q(status=DispatchStatus.RETURNED)),
        "dispatch_completed": Count("pk", filter=Q(status=DispatchStatus.COMPLETED)),
        "dispatch_overdue": Count(
            "pk",
            filter=Q(status=DispatchStatus.DISPATCHED, claim_due_at__lt=as_of)
            | Q(
                status=DispatchStatus.CLAIMED,
                first_feedback_at__isnull=True,
                feedback_due_at__lt=as_of,
            ),
        ),
        "escalated": Count("pk", filter=Q(escalated_at__isnull=False)),
    }


@dataclass
class UnitMeasures:
    """A responsible unit's share of the street's work in the period (the 12345 measures by
    unit): 响应率 = claimed in time / dispatched; 解决率 = completed / dispatched (transfers
    out not counted); 满意率 over the ratings of resolutions of the matters it completed."""

    unit_id: int
    name: str
    kind: str
    dispatched: int = 0
    claimed: int = 0
    claimed_in_time: int = 0
    returned: int = 0
    dispatch_completed: int = 0
    dispatch_overdue: int = 0
    escalated: int = 0
    transferred: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def response(self) -> Rate:
        return Rate(self.claimed_in_time, self.dispatched)

    @property
    def resolution(self) -> Rate:
        return Rate(self.dispatch_completed, self.dispatched - self.transferred)

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.satisfied, self.rated)


def unit_measures(
    communities: QuerySet[Community], period: Period, *, as_of: dt.datetime | None = None
) -> list[UnitMeasures]:
    """Every unit that served ``communities`` in the period, in three queries."""
    as_of = as_of or timezone.now()
    start, end = _bounds(period)
    # The ids as a list, not a subquery: with a list PostgreSQL reads the street's matters by
    # their community index; with the subquery it hashed all of the district's matters (54 ms of
    # the street dashboard's 114 at 100,000 matters).
    ids = list(communities.values_list("pk", flat=True))
    labels = dict(UnitKind.choices)
    units: dict[int, UnitMeasures] = {}
    for row in (
        Dispatch.objects.filter(
            proposal__community_id__in=ids, dispatched_at__gte=start, dispatched_at__lt=end
        )
        .values("unit_id", "unit__name", "unit__kind")
        .annotate(
            **_dispatch_counts(as_of),
            claimed_in_time=Count(
                "pk", filter=Q(claimed_at__isnull=False, claimed_at__lte=F("claim_due_at"))
            ),
            transferred=Count("pk", filter=Q(status=DispatchStatus.TRANSFERRED)),
        )
        .order_by("unit__name")
    ):
        measures = UnitMeasures(
            unit_id=row["unit_id"],
            name=row["unit__name"],
            kind=str(labels.get(row["unit__kind"], row["unit__kind"])),
        )
        counts: dict[str, Any] = dict(row)
        for name in (*DISPATCH_FIELDS, "claimed_in_time", "transferred"):
            setattr(measures, name, counts[name])
        units[measures.unit_id] = measures
    for rating in (
        Rating.objects.filter(
            resolution__community_id__in=ids,
            created_at__gte=start,
            created_at__lt=end,
            resolution__proposal__dispatches__status=DispatchStatus.COMPLETED,
        )
        .values("resolution__proposal__dispatches__unit_id")
        .annotate(
            rated=Count("pk", distinct=True),
            satisfied=Count(
                "pk",
                distinct=True,
                filter=Q(score__in=(RatingScore.SATISFIED, RatingScore.BASIC)),
            ),
        )
    ):
        unit_id = rating["resolution__proposal__dispatches__unit_id"]
        if unit_id in units:
            units[unit_id].rated = rating["rated"]
            units[unit_id].satisfied = rating["satisfied"]
    return list(units.values())


def totals(rows: Iterable[CommunityMeasures]) -> CommunityMeasures:
    """The street's line: the sum of its communities' counts (rates from the sums)."""
    total = CommunityMeasures(community_id=0)
    for row in rows:
        for name in (
            "received",
            "responded_in_time",
            "response_due",
            "overdue",
            "settled_matters",
            "decided",
            "completed",
            "rated",
            "satisfied",
            *DISPATCH_FIELDS,
        ):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total


@dataclass(frozen=True)
class Hotspot:
    community: str
    grid: str
    category: str
    month: dt.date
    count: int


def hotspots(communities: QuerySet[Community], period: Period, *, limit: int = 20) -> list[Hotspot]:
    """Where matters cluster: counts by community, grid, category and month, largest first."""
    start, end = _bounds(period)
    labels = dict(Category.choices)
    rows = (
        Proposal.objects.filter(
            community__in=communities, submitted_at__gte=start, submitted_at__lt=end
        )
        .annotate(month=TruncMonth("submitted_at"))
        .values("community__name", "grid__name", "category", "month")
        .annotate(count=Count("pk"))
        .order_by("-count", "community__name", "grid__name", "category", "month")[:limit]
    )
    return [
        Hotspot(
            community=row["community__name"],
            grid=row["grid__name"] or "",
            category=str(labels.get(row["category"], row["category"])),
            month=row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"],
            count=row["count"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class BuildingCount:
    building_id: int
    name: str
    grid: str
    count: int


def building_counts(community: Community, period: Period) -> list[BuildingCount]:
    """Every building of ``community`` with the number of matters placed at it in the period
    (zero included, for the map), in one query."""
    start, end = _bounds(period)
    rows = (
        Building.objects.filter(community=community)
        .values("pk", "name", "grid__name")
        .annotate(
            count=Count(
                "proposals",
                filter=Q(proposals__submitted_at__gte=start, proposals__submitted_at__lt=end),
            )
        )
        .order_by("grid__name", "name")
    )
    return [
        BuildingCount(
            building_id=row["pk"],
            name=row["name"],
            grid=row["grid__name"] or "",
            count=row["count"],
        )
        for row in rows
    ]
