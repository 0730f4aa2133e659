"""Reads of the deliberation domain that more than one caller needs."""

from django.db.models import QuerySet

from .models import Community, Proposal, ProposalStatus, Resolution

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
