"""Reads of resolutions (tracking, ratings, reminders, metrics) that several callers need."""

import datetime as _dt
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models import Prefetch as _Prefetch
from django.utils import timezone as _tz

from deliberation.models import (
    Category,
    Community,
    Member,
    Party,
    Proposal,
    Rating,
    Resolution,
)
from deliberation.models import resolutions as _res
from deliberation.registry.display import public_name
from deliberation.resolutions import metrics as _metrics


def resolutions_recent(*, community: Community, limit: int = 5) -> list[Resolution]:
    qs: QuerySet[Resolution] = (
        Resolution.objects.filter(community=community)
        .exclude(status=_res.ResolutionStatus.DRAFT)
        .select_related("proposal")
    )
    return list(qs.order_by("-decided_at")[:limit])


RESOLUTION_OPEN_STATUSES = (_res.ResolutionStatus.IN_PROGRESS, _res.ResolutionStatus.REOPENED)


def resolution_list_public(
    *,
    community: Community,
    status: str = "",
    party: str = "",
    category: str = "",
    overdue: bool = False,
    today: _dt.date | None = None,
) -> QuerySet[Resolution]:
    """Resolutions of a published proposal, newest decision first, filtered. Unknown filter values
    are ignored (the view validates them). One query per page plus one count."""
    today = today or _tz.localdate()
    # Drafts wait for committee staff (completed and assigned after a meeting): never public.
    qs = Resolution.objects.filter(community=community, proposal__live=True).exclude(
        status=_res.ResolutionStatus.DRAFT
    )
    if status in _res.ResolutionStatus.values:
        qs = qs.filter(status=status)
    if party in Party.values:
        qs = qs.filter(responsible_party=party)
    if category in Category.values:
        qs = qs.filter(proposal__category=category)
    if overdue:
        qs = qs.filter(status__in=RESOLUTION_OPEN_STATUSES, deadline__lt=today)
    return qs.select_related("proposal").order_by("-decided_at", "-pk")


def resolution_get_public(*, community: Community, pk: int) -> Resolution | None:
    """One resolution with what its page shows, in a fixed number of queries."""
    photos = _Prefetch("photos", queryset=_res.ProgressPhoto.objects.order_by("sort_order", "pk"))
    return (
        Resolution.objects.filter(community=community, pk=pk, proposal__live=True)
        .exclude(status=_res.ResolutionStatus.DRAFT)
        .select_related("proposal", "adopted_option", "responsible_person", "community")
        .prefetch_related(
            _Prefetch(
                "updates",
                queryset=_res.ProgressUpdate.objects.select_related("author").prefetch_related(
                    photos
                ),
            ),
            _Prefetch("transitions", queryset=_res.ResolutionTransition.objects.all()),
        )
        .first()
    )


def resolution_rating_summary(
    *, resolution: Resolution, round: int | None = None
) -> dict[str, Any]:
    """Counts per score for one round (the current one by default), the total and the shares."""
    round = resolution.round if round is None else round
    rows = (
        _res.Rating.objects.filter(resolution=resolution, round=round)
        .values("score", "channel")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(_res.RatingScore.values, 0)
    by_channel = dict.fromkeys(_res.RatingChannel.values, 0)
    for row in rows:
        counts[row["score"]] += row["n"]
        by_channel[row["channel"]] += row["n"]
    total = sum(counts.values())
    satisfied = _metrics.Rate(counts["satisfied"] + counts["basic"], total)
    return {
        "round": round,
        "total": total,
        "rows": [
            {
                "score": score,
                "label": label,
                "count": counts[score],
                "percent": _metrics.Rate(counts[score], total).percent,
            }
            for score, label in _res.RatingScore.choices
        ],
        "by_channel": by_channel,
        "satisfaction": satisfied,
    }


def resolution_comments_public(*, resolution: Resolution, limit: int = 50) -> list[dict[str, Any]]:
    """Rating comments with masked names, newest first."""
    rows = (
        _res.Rating.objects.filter(resolution=resolution)
        .exclude(comment="")
        .select_related("member__user")
        .order_by("-created_at")[:limit]
    )
    return [
        {
            "name": public_name(str(r.member.user), show_full_name=r.member.show_full_name),
            "score": r.get_score_display(),
            "comment": r.comment,
            "channel": r.get_channel_display(),
            "via_followup": r.channel == _res.RatingChannel.FOLLOWUP,
            "round": r.round,
            "at": r.created_at,
        }
        for r in rows
    ]


def resolution_member_rating(*, resolution: Resolution, member: Member | None) -> Any:
    """The member's rating of the current round, or ``None``."""
    if member is None:
        return None
    return _res.Rating.objects.filter(
        resolution=resolution, round=resolution.round, member=member
    ).first()


def resolutions_overdue(
    *, today: _dt.date | None = None, community: Community | None = None
) -> QuerySet[Resolution]:
    """Open resolutions past their deadline (overdue is computed, never stored)."""
    today = today or _tz.localdate()
    qs = Resolution.objects.filter(status__in=RESOLUTION_OPEN_STATUSES, deadline__lt=today)
    if community is not None:
        qs = qs.filter(community=community)
    return qs.select_related("community", "proposal", "responsible_person").order_by("deadline")


def metrics_facts(
    *, community: Community, period: "_metrics.Period"
) -> tuple[
    list["_metrics.ProposalFact"], list["_metrics.ResolutionFact"], list["_metrics.RatingFact"]
]:
    """The plain facts ``resolutions.metrics`` computes from, for one community and period.

    Three queries with ``values()`` (no model instances); dates are the community's local dates.
    """
    tz = _tz.get_current_timezone()
    start = _dt.datetime.combine(period.start, _dt.time.min, tzinfo=tz)
    end = _dt.datetime.combine(period.end + _dt.timedelta(days=1), _dt.time.min, tzinfo=tz)

    def day(value: datetime) -> _dt.date:
        return _tz.localtime(value, tz).date()

    def local(value: datetime | None) -> _dt.date | None:
        return day(value) if value else None

    proposals = [
        _metrics.ProposalFact(
            submitted_at=row["submitted_at"],
            submitted_on=day(row["submitted_at"]),
            responded_at=row["responded_at"],
            response_days=community.response_days,
            responsible_party=row["responsible_party"],
        )
        for row in Proposal.objects.filter(
            community=community, submitted_at__gte=start, submitted_at__lt=end
        ).values("submitted_at", "responded_at", "responsible_party")
    ]
    resolutions = [
        _metrics.ResolutionFact(
            decided_on=day(row["decided_at"]),
            proposal_submitted_at=row["proposal__submitted_at"],
            deadline=row["deadline"],
            status=row["status"],
            completed_at=row["completed_at"],
            completed_on=local(row["completed_at"]),
            responsible_party=row["responsible_party"],
        )
        for row in Resolution.objects.filter(
            community=community, decided_at__gte=start, decided_at__lt=end
        )
        .exclude(status=_res.ResolutionStatus.DRAFT)
        .values(
            "decided_at",
            "proposal__submitted_at",
            "deadline",
            "status",
            "completed_at",
            "responsible_party",
        )
    ]
    ratings = [
        _metrics.RatingFact(
            rated_on=day(row["created_at"]),
            score=row["score"],
            responsible_party=row["resolution__responsible_party"],
        )
        for row in _res.Rating.objects.filter(
            resolution__community=community, created_at__gte=start, created_at__lt=end
        ).values("created_at", "score", "resolution__responsible_party")
    ]
    return proposals, resolutions, ratings


def resolution_feed_entries(*, community: Community, limit: int = 50) -> list[Any]:
    """The latest resolution steps (created, completed, reopened) of a community, newest first.
    A draft (written by a meeting's close, not yet completed by staff) is no public step."""
    return list(
        _res.ResolutionTransition.objects.filter(
            resolution__community=community, resolution__proposal__live=True
        )
        .exclude(to_status=_res.ResolutionStatus.DRAFT)
        .exclude(resolution__status=_res.ResolutionStatus.DRAFT)
        .select_related("resolution__proposal")
        .order_by("-at", "-pk")[:limit]
    )


def resolution_rating_rounds(*, resolution: Resolution) -> dict[int, dict[str, Any]]:
    """Per rating round: the last rating's time and the count per score (one query)."""
    rows = (
        Rating.objects.filter(resolution=resolution)
        .values("round", "score")
        .annotate(n=Count("pk"), last=Max("created_at"))
    )
    rounds: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = rounds.setdefault(row["round"], {"last": row["last"], "counts": {}})
        entry["last"] = max(entry["last"], row["last"])
        entry["counts"][row["score"]] = row["n"]
    return rounds


def resolutions_ledger(*, community: Community) -> QuerySet[Resolution]:
    """Every resolution of ``community`` (drafts too) for the staff ledger, with the rating
    counts of its current round and its latest progress note; one query."""
    current = Q(ratings__round=F("round"))
    latest = _res.ProgressUpdate.objects.filter(resolution=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    return (
        Resolution.objects.filter(community=community)
        .select_related("proposal", "responsible_person")
        .annotate(
            rated_satisfied=Count(
                "ratings", filter=current & Q(ratings__score=_res.RatingScore.SATISFIED)
            ),
            rated_basic=Count("ratings", filter=current & Q(ratings__score=_res.RatingScore.BASIC)),
            rated_dissatisfied=Count(
                "ratings", filter=current & Q(ratings__score=_res.RatingScore.DISSATISFIED)
            ),
            latest_progress=Subquery(latest.values("text")[:1]),
            latest_progress_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("-decided_at", "-pk")
    )
