"""Reads of rendered documents that views and pages need."""

from __future__ import annotations

from deliberation.models import Community, Resolution
from meetings.models import Meeting, MinutesRecord, Notice
from votes.models import Poll


def minutes_record(*, meeting: Meeting) -> MinutesRecord | None:
    """The minutes record of ``meeting`` with its document, or None if never requested."""
    return MinutesRecord.objects.select_related("document").filter(meeting=meeting).first()


def notice_by_serial(*, community: Community, year: int, number: int) -> Notice | None:
    return (
        Notice.objects.select_related("community", "document", "supersedes__community")
        .filter(community=community, year=year, number=number)
        .first()
    )


def notices_for_community(*, community: Community, limit: int = 50) -> list[Notice]:
    """A community's notices, newest first, with what superseded each (for public listings)."""
    return list(
        Notice.objects.filter(community=community)
        .select_related("community", "superseded_by__community")
        .order_by("-year", "-number")[:limit]
    )


def notice_current(
    *, poll: Poll | None = None, resolution: Resolution | None = None
) -> Notice | None:
    """The latest notice about ``poll`` or ``resolution`` (None if none was issued yet).

    Public pages link its PDF: ``reverse("notice-pdf", args=[slug, notice.year, notice.number])``.
    """
    if resolution is not None:
        qs = Notice.objects.filter(resolution=resolution)
    elif poll is not None:
        qs = Notice.objects.filter(poll=poll)
    else:
        return None
    return qs.select_related("community", "document").order_by("-pk").first()
