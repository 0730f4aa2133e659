"""Reads of proposals that more than one caller needs."""

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone as _tz
from django.utils.translation import gettext as _

from deliberation.models import (
    Category,
    Channel,
    Community,
    DispatchEvent,
    DispatchEventKind,
    Member,
    Party,
    Proposal,
    ProposalOption,
    ProposalStatus,
    ProposalTransition,
    Second,
    Unit,
)
from deliberation.proposals import rules as proposal_rules
from deliberation.proposals.costs import OptionCost, UnitShareInput, household_share
from deliberation.registry.display import public_name
from deliberation.registry.selectors import household_unit_ids

OPEN_STATUSES = (ProposalStatus.ACCEPTED, ProposalStatus.SCHEDULED)


def proposals_open_public(*, community: Community, limit: int | None = None) -> list[Proposal]:
    """Published proposals still under way (accepted or scheduled), newest first."""
    qs = Proposal.objects.filter(community=community, live=True, status__in=OPEN_STATUSES)
    qs = qs.order_by("-submitted_at")
    return list(qs[:limit] if limit else qs)


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
    return proposal_timelines([proposal])[proposal.pk]


def proposal_timelines(proposals: Sequence[Proposal]) -> dict[int, list[TimelineEntry]]:
    """:func:`proposal_timeline` of several proposals at once (proposal id → entries).

    Three queries whatever the number of proposals: their transitions and their dispatch steps
    with the actors, and the actors' memberships (for party, organisation and the name shown).
    """
    by_proposal: dict[int, list[TimelineEntry]] = {p.pk: [] for p in proposals}
    if not proposals:
        return by_proposal
    community_of = {p.pk: p.community_id for p in proposals}
    transitions = list(
        ProposalTransition.objects.filter(proposal_id__in=list(by_proposal))
        .select_related("actor")
        .order_by("at", "pk")
    )
    # Dispatch steps (派件, 认领, 退件, 反馈, 办结, 转派, 上报街道) are on the same timeline.
    dispatch_events = list(
        DispatchEvent.objects.filter(proposal_id__in=list(by_proposal))
        .select_related("actor", "dispatch__unit")
        .order_by("at", "pk")
    )
    actor_ids = {t.actor_id for t in transitions if t.actor_id}
    actor_ids |= {e.actor_id for e in dispatch_events if e.actor_id}
    members = {
        (m.community_id, m.user_id): m
        for m in Member.objects.filter(
            community_id__in=set(community_of.values()), user_id__in=actor_ids
        )
    }
    corrected = str(_("信息更正"))
    for transition in transitions:
        member = (
            members.get((community_of[transition.proposal_id], transition.actor_id))
            if transition.actor_id is not None
            else None
        )
        if member is None:
            actor = ""
        elif member.party == Party.RESIDENT:
            actor = public_name(
                transition.actor.display_name if transition.actor else "",
                show_full_name=member.show_full_name,
            )
        else:
            actor = member.organisation or member.get_party_display()
        by_proposal[transition.proposal_id].append(
            TimelineEntry(
                at=transition.at,
                status=transition.to_status,
                # A step that keeps the status corrects the record (where the matter is).
                label=(
                    corrected
                    if transition.from_status == transition.to_status
                    else str(ProposalStatus(transition.to_status).label)
                ),
                actor=actor,
                note=transition.note,
            )
        )
    for event in dispatch_events:
        by_proposal[event.proposal_id].append(_dispatch_entry(event, members, community_of))
    published = str(_("审核通过,公开发布"))
    for proposal in proposals:
        entries = by_proposal[proposal.pk]
        if proposal.first_published_at:
            entries.append(
                TimelineEntry(proposal.first_published_at, "published", published, "", "")
            )
        entries.sort(key=lambda entry: entry.at)
    return by_proposal


def _dispatch_entry(
    event: DispatchEvent, members: dict[tuple[int, int], Member], community_of: dict[int, int]
) -> TimelineEntry:
    """A dispatch step: the unit by name, the claimer by name (实名认领), staff by organisation."""
    unit = event.dispatch.unit.name
    kind = DispatchEventKind(event.kind)
    if kind in (DispatchEventKind.DISPATCHED,):
        label = _("派件至%(unit)s") % {"unit": unit}
    else:
        label = f"{unit} {kind.label}"
    actor = ""
    member = (
        members.get((community_of[event.proposal_id], event.actor_id))
        if event.actor_id is not None
        else None
    )
    if member is not None and member.party != Party.RESIDENT:
        actor = member.organisation or member.get_party_display()
    elif kind == DispatchEventKind.CLAIMED and event.actor is not None:
        actor = event.actor.display_name
    return TimelineEntry(
        at=event.at, status=f"dispatch-{kind.value}", label=label, actor=actor, note=event.note
    )


def proposal_get_visible(*, community: Community, pk: int, user: Any) -> Proposal | None:
    """The proposal if ``user`` may see it (published, or theirs, or they triage it)."""
    proposal = (
        Proposal.objects.filter(community=community, pk=pk)
        .select_related("author__user", "community", "merged_into", "grid")
        .annotate(seconds_count=Count("seconds", distinct=True))
        .first()
    )
    if proposal is None or not proposal_rules.can_view_proposal(user, proposal):
        return None
    return proposal


def proposals_of_user(*, user: Any, limit: int = 200) -> list[Proposal]:
    """Every matter ``user`` raised, or that staff entered on their behalf, in any community,
    unpublished ones included, newest first. One query (community and target of a merge joined).
    """
    if not getattr(user, "is_authenticated", False):
        return []
    qs = (
        Proposal.objects.filter(author__user=user)
        .select_related("community", "merged_into")
        .order_by("-submitted_at", "-pk")
    )
    return list(qs[:limit])


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


def proposals_ledger(*, community: Community) -> QuerySet[Proposal]:
    """Every matter of ``community`` for the staff ledger (export), newest first; one query."""
    return (
        Proposal.objects.filter(community=community)
        .select_related("author__user", "entered_by", "merged_into")
        .order_by("-submitted_at", "-pk")
    )
