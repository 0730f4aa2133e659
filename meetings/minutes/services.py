"""Writes for minutes: request a render, render and store the PDF as a Wagtail document.

The render never touches the meeting's own rows: a failure is recorded on ``MinutesRecord``
(status ``failed``, the error, the attempts) and the meeting, its agenda, ballots and notes stay
as they were.
"""

from __future__ import annotations

import hashlib
import logging
import traceback

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from wagtail.documents import get_document_model

from meetings.minutes.context import minutes_context
from meetings.minutes.render import css_counter_content, css_string, html_to_pdf, qr_data_uri
from meetings.models import Meeting, MinutesRecord, RenderStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class MinutesRenderFailed(Exception):
    """A render failed; the failure is already recorded on the ``MinutesRecord``."""


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


def minutes_enqueue(*, meeting: Meeting) -> MinutesRecord:
    """Mark the minutes as wanted and queue their render once the current transaction commits.

    Call it from ``meeting_close`` (and anywhere the minutes must be regenerated).
    """
    from meetings.minutes.tasks import render_minutes_task

    record, _created = MinutesRecord.objects.get_or_create(meeting=meeting)
    MinutesRecord.objects.filter(pk=record.pk).update(
        render_status=RenderStatus.PENDING, render_attempts=0, render_error=""
    )
    record.refresh_from_db()
    meeting_id = meeting.pk
    transaction.on_commit(lambda: render_minutes_task.enqueue(meeting_id=meeting_id, attempt=1))
    return record


def _error_text(error: BaseException) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return "".join(lines).strip()[:2000]


def _store_pdf(*, existing, title: str, filename: str, pdf: bytes):
    """Create or replace a Wagtail document holding ``pdf``; return it."""
    document_model = get_document_model()
    document = existing if existing is not None else document_model(title=title)
    old_name = document.file.name if existing is not None and document.file else None
    document.title = title
    document.file.save(filename, ContentFile(pdf), save=False)
    document._set_document_file_metadata()
    document.save()
    if old_name and old_name != document.file.name:
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return document


def minutes_render(*, meeting: Meeting) -> MinutesRecord:
    """Render the minutes now and store them as the meeting's minutes document.

    Counts an attempt; on failure records status ``failed`` with the error and raises
    ``MinutesRenderFailed``. Keep this out of request handlers: it takes seconds.
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
            record.document = _store_pdf(
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
            render_status=RenderStatus.FAILED, render_error=_error_text(error)
        )
        raise MinutesRenderFailed(str(error)) from error
    return record
