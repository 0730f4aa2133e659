"""Each document's print HTML and its PDF, stored on its record: the work the background tasks
run (``tasks``), and ``manage.py render_minutes`` in process.

A render never touches the meeting's own rows: a failure is recorded on the record (status
``failed``, the error, the attempts) and the meeting, its agenda, ballots and notes stay as they
were. Keep renders out of request handlers: they take seconds.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from meetings.minutes.context import format_date, minutes_context
from meetings.minutes.render import css_counter_content, css_string, html_to_pdf, qr_data_uri
from meetings.minutes.storage import failure_text, store_pdf
from meetings.models import Meeting, MinutesRecord, Notice, NoticeKind, RenderStatus

logger = logging.getLogger(__name__)


class MinutesRenderFailed(Exception):
    """A render failed; the failure is already recorded on the ``MinutesRecord``."""


class NoticeRenderFailed(Exception):
    """A notice render failed; the failure is recorded on the notice."""


def page_footer_css() -> str:
    return css_counter_content(gettext("第 %(page)s 页 / 共 %(pages)s 页"))


def minutes_html(*, meeting: Meeting) -> str:
    """The minutes as print HTML, in the site language; the same meeting gives the same HTML."""
    with translation.override(settings.LANGUAGE_CODE):
        context = minutes_context(meeting.pk)
        context["qr_data_uri"] = qr_data_uri(context["public_url"])
        context["page_footer_css"] = page_footer_css()
        context["running_header_css"] = css_string(
            gettext("%(community)s · %(title)s · 会议纪要")
            % {"community": context["community"], "title": context["meeting"]["title"]}
        )
        return render_to_string("meetings/minutes.html", context)


def minutes_render(*, meeting: Meeting) -> MinutesRecord:
    """Render the minutes now and store them as the meeting's minutes document.

    Counts an attempt; on failure records status ``failed`` with the error and raises
    ``MinutesRenderFailed``.
    """
    record, _created = MinutesRecord.objects.get_or_create(meeting=meeting)
    MinutesRecord.objects.filter(pk=record.pk).update(render_attempts=F("render_attempts") + 1)
    try:
        html = minutes_html(meeting=meeting)
        pdf = html_to_pdf(html, base_url=settings.SITE_URL)
        with transaction.atomic():
            record = MinutesRecord.objects.select_for_update().get(pk=record.pk)
            with translation.override(settings.LANGUAGE_CODE):
                title = gettext("%(community)s %(title)s 会议纪要") % {
                    "community": meeting.community.name,
                    "title": meeting.title,
                }
            record.document = store_pdf(
                existing=record.document,
                title=title,
                filename=f"minutes-{meeting.community.slug}-{meeting.pk}.pdf",
                pdf=pdf,
            )
            record.html_hash = hashlib.sha256(html.encode("utf-8")).hexdigest()
            record.render_status = RenderStatus.OK
            record.render_error = ""
            record.rendered_at = timezone.now()
            record.save()
    except Exception as error:
        logger.exception("Minutes of meeting %s failed to render", meeting.pk)
        MinutesRecord.objects.filter(pk=record.pk).update(
            render_status=RenderStatus.FAILED, render_error=failure_text(error)
        )
        raise MinutesRenderFailed(str(error)) from error
    return record


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
                "reissue_reason": notice.reissue_reason,
            },
            # The template compares against the enum, as cms templates do (a mapping, which
            # the template engine never calls).
            "NoticeKind": NoticeKind.__members__,
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
    notice = Notice.objects.select_related("community", "supersedes__community").get(pk=notice_id)
    Notice.objects.filter(pk=notice.pk).update(render_attempts=F("render_attempts") + 1)
    try:
        html = notice_html(notice=notice)
        pdf = html_to_pdf(html, base_url=settings.SITE_URL)
        with transaction.atomic():
            notice = Notice.objects.select_for_update().get(pk=notice.pk)
            notice.document = store_pdf(
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
            render_status=RenderStatus.FAILED, render_error=failure_text(error)
        )
        raise NoticeRenderFailed(str(error)) from error
    return notice
