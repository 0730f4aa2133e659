"""Public notices (公示): a vote result announcement or a resolution with its progress.

``notice_issue`` takes a snapshot of what the notice shows; it issues a new notice with the next
serial number of the community only when that snapshot differs from the current notice for the
same poll or resolution, and the new notice supersedes the old one. The PDF is rendered in the
background (``render_notice_task``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from deliberation.models import Community, Resolution, User
from meetings.minutes.context import (
    format_date,
    format_datetime,
    poll_view,
    public_url,
    resolution_view,
)
from meetings.minutes.render import css_counter_content, html_to_pdf, qr_data_uri
from meetings.minutes.selectors import notice_current
from meetings.models import Notice, NoticeKind, RenderStatus
from votes.models import Poll

logger = logging.getLogger(__name__)


class NoticeRenderFailed(Exception):
    """A notice render failed; the failure is recorded on the notice."""


class NoticeNotReady(ValueError):
    """The subject has nothing to announce yet (a poll without a result)."""


def poll_public_path(poll: Poll) -> str:
    return f"/{poll.community.slug}/polls/{poll.pk}/"


def resolution_public_path(resolution: Resolution) -> str:
    return f"/{resolution.community.slug}/resolutions/{resolution.pk}/"


def notice_pdf_path(notice: Notice) -> str:
    return f"/{notice.community.slug}/notices/{notice.slug}.pdf"


def vote_result_content(poll: Poll) -> dict:
    """What a vote result announcement (表决结果公告) shows, as JSON-safe data."""
    view = poll_view(poll)
    return {
        "kind": NoticeKind.VOTE_RESULT.value,
        "title": gettext("关于“%(question)s”的表决结果公告") % {"question": poll.question},
        "proposal": poll.proposal.title if poll.proposal_id else "",
        "poll": view,
        "final": poll.status == "final",
        "objection_until": format_datetime(poll.objection_until),
        "public_url": public_url(poll_public_path(poll)),
    }


def resolution_content(resolution: Resolution) -> dict:
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


def content_hash(content: dict) -> str:
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
    if (poll is None) == (resolution is None):
        raise ValueError("notice_issue needs exactly one of poll or resolution")
    if poll is not None and not poll.result:
        raise NoticeNotReady(gettext("表决尚未产生结果,不能发布表决结果公告。"))
    subject = poll if poll is not None else resolution
    community = subject.community
    with translation.override(settings.LANGUAGE_CODE):
        if poll is not None:
            kind = NoticeKind.VOTE_RESULT
            content = vote_result_content(poll)
        else:
            kind = NoticeKind.RESOLUTION
            content = resolution_content(resolution)
        issuing_body = issuing_body or gettext("%(community)s四方议事会") % {
            "community": community.name
        }
    digest = content_hash(content)
    today = today or timezone.localdate()
    days = posting_days if posting_days is not None else community.objection_days
    posted_until = today + timedelta(days=max(days, 0))
    if poll is not None and poll.objection_until and poll.status != "final":
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

        def enqueue() -> None:
            from meetings.minutes.tasks import render_notice_task

            render_notice_task.enqueue(notice_id=notice_id, attempt=1)

        transaction.on_commit(enqueue)
    return notice, True


def notice_html(*, notice: Notice) -> str:
    """The notice poster as print HTML, from its stored snapshot (never from live data)."""
    with translation.override(settings.LANGUAGE_CODE):
        content = notice.content
        supersedes = notice.supersedes
        context = {
            "notice": {
                "serial": notice.serial,
                "title": notice.title,
                "kind": notice.kind,
                "issuing_body": notice.issuing_body,
                "posted_from": format_date(notice.posted_from),
                "posted_until": format_date(notice.posted_until),
                "issued_on": format_date(notice.issued_at),
                "supersedes": supersedes.serial if supersedes else "",
            },
            "community": notice.community.name,
            "content": content,
            "public_url": content["public_url"],
            "qr_data_uri": qr_data_uri(content["public_url"]),
            "page_footer_css": css_counter_content(
                gettext("%(serial)s 第 %%(page)s 页 / 共 %%(pages)s 页") % {"serial": notice.serial}
            ),
        }
        return render_to_string("meetings/notice.html", context)


def notice_render(*, notice_id: int) -> Notice:
    """Render a notice's PDF now and store it; record a failure and raise NoticeRenderFailed."""
    from meetings.minutes.services import _error_text, _store_pdf

    notice = Notice.objects.select_related("community", "supersedes__community").get(pk=notice_id)
    Notice.objects.filter(pk=notice.pk).update(render_attempts=F("render_attempts") + 1)
    try:
        html = notice_html(notice=notice)
        pdf = html_to_pdf(html, base_url=settings.SITE_URL)
        with transaction.atomic():
            notice = Notice.objects.select_for_update().get(pk=notice.pk)
            notice.document = _store_pdf(
                existing=notice.document,
                title=notice.serial + " " + notice.title,
                filename=f"notice-{notice.community.slug}-{notice.slug}.pdf",
                pdf=pdf,
            )
            notice.html_hash = hashlib.sha256(html.encode("utf-8")).hexdigest()
            notice.render_status = RenderStatus.OK
            notice.render_error = ""
            notice.rendered_at = timezone.now()
            notice.save()
    except Exception as error:
        logger.exception("Notice %s failed to render", notice.pk)
        Notice.objects.filter(pk=notice.pk).update(
            render_status=RenderStatus.FAILED, render_error=_error_text(error)
        )
        raise NoticeRenderFailed(str(error)) from error
    return notice
