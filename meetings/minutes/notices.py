"""Public notices (公示): a vote result announcement or a resolution with its progress.

``notice_issue`` takes a snapshot of what the notice shows; it issues a new notice with the next
serial number of the community only when that snapshot differs from the current notice for the
same poll or resolution, and the new notice supersedes the old one. The PDF is rendered in the
background (``tasks.render_notice_task``, rendered by ``pdf.notice_render``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from deliberation.models import Community, Resolution, User
from meetings.minutes.context import format_datetime, poll_view, public_url, resolution_view
from meetings.minutes.selectors import notice_current
from meetings.minutes.tasks import render_notice_task
from meetings.models import Notice, NoticeKind
from votes.models import Poll, PollStatus


class NoticeNotReady(ValueError):
    """The subject has nothing to announce yet (a poll without a result)."""


def poll_public_path(poll: Poll) -> str:
    return reverse("poll-detail", kwargs={"community": poll.community.slug, "pk": poll.pk})


def resolution_public_path(resolution: Resolution) -> str:
    return reverse(
        "resolution-detail", kwargs={"community": resolution.community.slug, "pk": resolution.pk}
    )


def vote_result_content(poll: Poll) -> dict[str, Any]:
    """What a vote result announcement (表决结果公告) shows, as JSON-safe data."""
    view = poll_view(poll)
    return {
        "kind": NoticeKind.VOTE_RESULT.value,
        "title": gettext("关于“%(question)s”的表决结果公告") % {"question": poll.question},
        "proposal": poll.proposal.title if poll.proposal is not None else "",
        "poll": view,
        "final": poll.status == PollStatus.FINAL,
        "objection_until": format_datetime(poll.objection_until),
        "public_url": public_url(poll_public_path(poll)),
    }


def resolution_content(resolution: Resolution) -> dict[str, Any]:
    """What a resolution notice (决议公示) shows: the decision and its progress."""
    updates = list(resolution.updates.order_by("created_at", "pk"))
    latest_percent = updates[-1].percent if updates else getattr(resolution, "percent_done", 0)
    return {
        "kind": NoticeKind.RESOLUTION.value,
        "title": gettext("关于“%(title)s”的决议公示") % {"title": resolution.proposal.title},
        "proposal": resolution.proposal.title,
        "resolution": resolution_view(resolution),
        "overdue": resolution.is_overdue(),
        "percent_done": latest_percent,
        "completed_at": format_datetime(resolution.completed_at),
        "completion_report": getattr(resolution, "completion_report", ""),
        "progress": [
            {
                "at": format_datetime(update.created_at),
                "text": update.text,
                "percent": update.percent,
                "completion": update.is_completion,
            }
            for update in updates
        ],
        "public_url": public_url(resolution_public_path(resolution)),
    }


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def notice_issue(
    *,
    poll: Poll | None = None,
    resolution: Resolution | None = None,
    actor: User | None = None,
    issuing_body: str = "",
    posting_days: int | None = None,
    today: date | None = None,
) -> tuple[Notice, bool]:
    """Issue a notice about ``poll`` (vote result) or ``resolution``; return (notice, issued).

    When the current notice about the same subject shows the same content (hash) and issuing
    body, it is returned unchanged with ``issued=False``; otherwise a new notice with the next
    serial number of the community's year supersedes it and its PDF is queued for rendering.
    Raises ``ValueError`` unless exactly one of ``poll`` and ``resolution`` is given, and
    ``NoticeNotReady`` for a poll without a result.
    """
    if poll is not None and resolution is None:
        if not poll.result:
            raise NoticeNotReady(gettext("表决尚未产生结果,不能发布表决结果公告。"))
        community, kind = poll.community, NoticeKind.VOTE_RESULT
        snapshot = partial(vote_result_content, poll)
    elif resolution is not None and poll is None:
        community, kind = resolution.community, NoticeKind.RESOLUTION
        snapshot = partial(resolution_content, resolution)
    else:
        raise ValueError("notice_issue needs exactly one of poll or resolution")
    with translation.override(settings.LANGUAGE_CODE):
        content = snapshot()
        issuing_body = issuing_body or gettext("%(community)s四方议事会") % {
            "community": community.name
        }
    digest = content_hash(content)
    today = today or timezone.localdate()
    days = posting_days if posting_days is not None else community.objection_days
    posted_until = today + timedelta(days=max(days, 0))
    if poll is not None and poll.objection_until and poll.status != PollStatus.FINAL:
        posted_until = max(posted_until, timezone.localtime(poll.objection_until).date())

    with transaction.atomic():
        # Serialise issuing per community: serial numbers have no gaps and one notice supersedes.
        Community.objects.select_for_update().get(pk=community.pk)
        current = notice_current(poll=poll, resolution=resolution)
        if (
            current is not None
            and current.content_hash == digest
            and current.issuing_body == issuing_body
        ):
            return current, False
        number = (
            Notice.objects.filter(community=community, year=today.year).aggregate(n=Max("number"))[
                "n"
            ]
            or 0
        ) + 1
        notice = Notice.objects.create(
            community=community,
            year=today.year,
            number=number,
            kind=kind,
            poll=poll,
            resolution=resolution,
            title=content["title"],
            issuing_body=issuing_body,
            posted_from=today,
            posted_until=posted_until,
            content=content,
            content_hash=digest,
            supersedes=current,
            issued_by=actor,
            issued_at=timezone.now(),
        )
        notice_id = notice.pk
        transaction.on_commit(lambda: render_notice_task.enqueue(notice_id=notice_id, attempt=1))
    return notice, True
