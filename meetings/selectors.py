"""Reads of meetings that more than one caller needs."""

from django.utils import timezone

from deliberation.models import Community

from .models import Meeting, MeetingStatus


def meetings_upcoming(*, community: Community, limit: int = 5) -> list[Meeting]:
    """Scheduled or live meetings from today on, soonest first."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    qs = Meeting.objects.filter(
        community=community,
        status__in=[MeetingStatus.SCHEDULED, MeetingStatus.LIVE],
        starts_at__gte=today,
    ).order_by("starts_at")
    return list(qs[:limit])
