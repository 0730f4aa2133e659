"""Demo meetings for ``seed_demo``."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from deliberation.models import Community, Proposal, User

from .models import AgendaItem, Meeting


@transaction.atomic
def seed_meetings(community: Community, proposals: list[Proposal]) -> Meeting:
    """One scheduled meeting a week ahead with the demo proposals on its agenda."""
    facilitator = User.objects.get(username="committee")
    start = (timezone.localtime() + timedelta(days=7)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    meeting, _ = Meeting.objects.get_or_create(
        community=community,
        title="2026年第四季度四方议事会",
        defaults={
            "starts_at": start,
            "place": "社区党群服务中心二楼会议室",
            "facilitator": facilitator,
        },
    )
    for order, proposal in enumerate(proposals):
        AgendaItem.objects.get_or_create(
            meeting=meeting,
            proposal=proposal,
            defaults={"title": proposal.title, "sort_order": order},
        )
    return meeting
