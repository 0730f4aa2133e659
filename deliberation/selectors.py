"""Reads of the deliberation domain that more than one caller needs."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from .costs import OptionCost, UnitShareInput, household_share
from .display import public_name
from .models import (
    Category,
    Channel,
    Community,
    Member,
    Ownership,
    Party,
    Proposal,
    ProposalOption,
    ProposalStatus,
    Resolution,
    Second,
    Unit,
)

OPEN_STATUSES = (ProposalStatus.ACCEPTED, ProposalStatus.SCHEDULED)


def proposals_open_public(*, community: Community, limit: int | None = None) -> list[Proposal]:
    """Published proposals still under way (accepted or scheduled), newest first."""
    qs = Proposal.objects.filter(community=community, live=True, status__in=OPEN_STATUSES)
    qs = qs.order_by("-submitted_at")
    return list(qs[:limit] if limit else qs)


def resolutions_recent(*, community: Community, limit: int = 5) -> list[Resolution]:
    qs: QuerySet[Resolution] = Resolution.objects.filter(community=community).select_related(
        "proposal"
    )
    return list(qs.order_by("-decided_at")[:limit])


# --- proposals (public list, search, detail, timeline, household costs, triage queue) -----------
# Search uses icontains over title, body and location on both SQLite and PostgreSQL: Chinese has
# no word boundaries, so PostgreSQL's default text-search parsers would not find 停车 inside
# 小区停车难; a substring match does, and the public list is bounded per community.


@dataclass(frozen=True)
class ProposalFilters:
    status: str = ""
    category: str = ""
    party: str = ""
    channel: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "ProposalFilters":
        def pick(name: str, choices: list[str]) -> str:
            value = (params.get(name) or "").strip()
            return value if value in choices else ""

        return cls(
            status=pick("status", ProposalStatus.values),
            category=pick("category", Category.values),
            party=pick("party", Party.values),
            channel=pick("channel", Channel.values),
            q=(params.get("q") or "").strip()[:100],
        )


def proposal_search(qs: QuerySet[Proposal], q: str) -> QuerySet[Proposal]:
    """Every whitespace-separated term must occur in the title, body or location."""
    for term in q.split()[:8]:
        qs = qs.filter(
            Q(title__icontains=term) | Q(body__icontains=term) | Q(location__icontains=term)
        )
    return qs


def proposal_list_public(
    *, community: Community, filters: ProposalFilters | None = None
) -> QuerySet[Proposal]:
    """Published proposals of ``community``, filtered and searched, newest first.

    Annotated with ``seconds_count`` and ``photos_count``; author and their user are joined, so
    a page of results renders in a fixed number of queries.
    """
    filters = filters or ProposalFilters()
    qs = Proposal.objects.filter(community=community, live=True)
    for name in ("status", "category", "party", "channel"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.q:
        qs = proposal_search(qs, filters.q)
    return (
        qs.select_related("author__user")
        .annotate(
            seconds_count=Count("seconds", distinct=True),
            photos_count=Count("photos", distinct=True),
        )
        .order_by("-submitted_at", "-pk")
    )


def proposal_public_author(proposal: Proposal) -> str:
    """The author's name as published: masked unless they chose to show it in full."""
    name = proposal.author.user.display_name or proposal.author.user.get_full_name()
    show = proposal.show_full_name or proposal.author.show_full_name
    if proposal.author.party != Party.RESIDENT:
        # Staff act in their organisation's name; their organisation is public.
        return proposal.author.organisation or proposal.author.get_party_display()
    return public_name(name, show_full_name=show)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status: str
    label: str
    actor: str
    note: str


def proposal_timeline(proposal: Proposal) -> list[TimelineEntry]:
    """The public timeline: each transition (who by party/organisation, when, note) and the
    moment of publication. Staff are shown by their organisation, residents masked."""
    transitions = list(proposal.transitions.select_related("actor").order_by("at", "pk"))
    actor_ids = {t.actor_id for t in transitions if t.actor_id}
    members = {
        m.user_id: m
        for m in Member.objects.filter(community_id=proposal.community_id, user_id__in=actor_ids)
    }
    entries = []
    for transition in transitions:
        member = members.get(transition.actor_id)
        if member is None:
            actor = ""
        elif member.party == Party.RESIDENT:
            actor = public_name(
                transition.actor.display_name if transition.actor else "",
                show_full_name=member.show_full_name,
            )
        else:
            actor = member.organisation or member.get_party_display()
        entries.append(
            TimelineEntry(
                at=transition.at,
                status=transition.to_status,
                label=str(ProposalStatus(transition.to_status).label),
                actor=actor,
                note=transition.note,
            )
        )
    if proposal.first_published_at:
        entries.append(
            TimelineEntry(
                proposal.first_published_at, "published", str(_("审核通过,公开发布")), "", ""
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return entries


def proposal_get_visible(*, community: Community, pk: int, user: Any) -> Proposal | None:
    """The proposal if ``user`` may see it (published, or theirs, or they triage it)."""
    from . import rules

    proposal = (
        Proposal.objects.filter(community=community, pk=pk)
        .select_related("author__user", "community", "merged_into")
        .annotate(seconds_count=Count("seconds", distinct=True))
        .first()
    )
    if proposal is None or not rules.can_view_proposal(user, proposal):
        return None
    return proposal


def household_unit_ids(*, community: Community, user: Any) -> list[int]:
    """The units the signed-in user owns in ``community`` (empty for non-owners)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Ownership.objects.filter(
            member__user=user, member__community=community, unit__building__community=community
        ).values_list("unit_id", flat=True)
    )


def option_household_costs(
    *, proposal: Proposal, options: list[ProposalOption], user: Any
) -> dict[int, Decimal | None]:
    """What the user's household pays under each option (option id → amount, None = unknown).

    Empty when the user owns no unit in the proposal's community.
    """
    mine = household_unit_ids(community=proposal.community, user=user)
    if not mine or not options:
        return {}
    units = [
        UnitShareInput(unit_id=pk, area_m2=area, floor=floor, building_id=building_id)
        for pk, area, floor, building_id in Unit.objects.filter(
            building__community_id=proposal.community_id
        ).values_list("pk", "area_m2", "floor", "building_id")
    ]
    return {
        option.pk: household_share(
            OptionCost(
                cost=option.cost_estimate,
                rule=option.sharing_rule,
                paying_party=option.paying_party,
                building_id=option.scope_building_id,
            ),
            units,
            mine,
        )
        for option in options
    }


def proposal_seconded_by(*, proposal: Proposal, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Second.objects.filter(proposal=proposal, member__user=user).exists()


def proposal_triage_queue(*, communities: Iterable[Community] | None = None) -> QuerySet[Proposal]:
    """Submitted matters awaiting triage, oldest first, with their community and author."""
    qs = Proposal.objects.filter(status=ProposalStatus.SUBMITTED)
    if communities is not None:
        qs = qs.filter(community__in=list(communities))
    return qs.select_related("community", "author__user", "entered_by").order_by("submitted_at")


def member_by_phone(*, community: Community, phone: str) -> Member | None:
    """The community member with this phone number (staff entering a matter for them)."""
    phone = "".join(ch for ch in (phone or "") if ch.isdigit())
    if not phone:
        return None
    return (
        Member.objects.filter(community=community, user__phone__endswith=phone[-11:])
        .select_related("user")
        .first()
    )


# --- resolutions: tracking, ratings, reminders, metrics (owner: resolutions helper) ---------------
# Imported here rather than at the top so that this section stays a self-contained, add-only block
# of a file several people edit.
import datetime as _dt  # noqa: E402

from django.db.models import Prefetch as _Prefetch  # noqa: E402
from django.utils import timezone as _tz  # noqa: E402

from . import metrics as _metrics  # noqa: E402
from .models import resolutions as _res  # noqa: E402

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
    qs = Resolution.objects.filter(community=community, proposal__live=True)
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


def proposals_unanswered_overdue(
    *, now: datetime | None = None, community: Community | None = None
) -> list[Proposal]:
    """Submitted proposals with no first response after the community's response time limit.

    One query; the per-community limit is applied in Python.
    """
    now = now or _tz.now()
    qs = Proposal.objects.filter(status=ProposalStatus.SUBMITTED, responded_at__isnull=True)
    if community is not None:
        qs = qs.filter(community=community)
    qs = qs.select_related("community").order_by("submitted_at")
    return [p for p in qs if now - p.submitted_at > _dt.timedelta(days=p.community.response_days)]


def metrics_facts(
    *, community: Community, period: "_metrics.Period"
) -> tuple[
    list["_metrics.ProposalFact"], list["_metrics.ResolutionFact"], list["_metrics.RatingFact"]
]:
    """The plain facts ``deliberation.metrics`` computes from, for one community and period.

    Three queries with ``values()`` (no model instances); dates are the community's local dates.
    """
    tz = _tz.get_current_timezone()
    start = _dt.datetime.combine(period.start, _dt.time.min, tzinfo=tz)
    end = _dt.datetime.combine(period.end + _dt.timedelta(days=1), _dt.time.min, tzinfo=tz)

    def local(value: datetime | None) -> _dt.date | None:
        return _tz.localtime(value, tz).date() if value else None

    proposals = [
        _metrics.ProposalFact(
            submitted_at=row["submitted_at"],
            submitted_on=local(row["submitted_at"]),
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
            decided_on=local(row["decided_at"]),
            proposal_submitted_at=row["proposal__submitted_at"],
            deadline=row["deadline"],
            status=row["status"],
            completed_at=row["completed_at"],
            completed_on=local(row["completed_at"]),
            responsible_party=row["responsible_party"],
        )
        for row in Resolution.objects.filter(
            community=community, decided_at__gte=start, decided_at__lt=end
        ).values(
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
            rated_on=local(row["created_at"]),
            score=row["score"],
            responsible_party=row["resolution__responsible_party"],
        )
        for row in _res.Rating.objects.filter(
            resolution__community=community, created_at__gte=start, created_at__lt=end
        ).values("created_at", "score", "resolution__responsible_party")
    ]
    return proposals, resolutions, ratings


def resolution_feed_entries(*, community: Community, limit: int = 50) -> list[Any]:
    """The latest resolution steps (created, completed, reopened) of a community, newest first."""
    return list(
        _res.ResolutionTransition.objects.filter(
            resolution__community=community, resolution__proposal__live=True
        )
        .select_related("resolution__proposal")
        .order_by("-at", "-pk")[:limit]
    )
