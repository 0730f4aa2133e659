"""Background renders (django-tasks): immediate in tests and the embedded set-up, the database
worker (``manage.py db_worker``) in production.

A failed render is retried up to ``MAX_ATTEMPTS`` times in all, with a growing delay where the
backend can defer; each failure is recorded on the record staff see in the admin.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from meetings.minutes.pdf import (
    MinutesRenderFailed,
    NoticeRenderFailed,
    minutes_render,
    notice_render,
)
from meetings.models import Meeting

MAX_ATTEMPTS = 3
RETRY_DELAYS = [timedelta(seconds=30), timedelta(minutes=5)]


def _retry(task_obj: Task[..., str], attempt: int, **kwargs: Any) -> None:
    """Queue the next attempt, deferred where the backend supports it."""
    delay = RETRY_DELAYS[min(attempt - 1, len(RETRY_DELAYS) - 1)]
    if task_obj.get_backend().supports_defer:
        task_obj = task_obj.using(run_after=timezone.now() + delay)
    task_obj.enqueue(attempt=attempt + 1, **kwargs)


@task()
def render_minutes_task(meeting_id: int, attempt: int = 1) -> str:
    """Render the minutes of ``meeting_id``; retry on failure until ``MAX_ATTEMPTS``."""
    meeting = Meeting.objects.select_related("community").get(pk=meeting_id)
    try:
        record = minutes_render(meeting=meeting)
    except MinutesRenderFailed:
        if attempt < MAX_ATTEMPTS:
            _retry(render_minutes_task, attempt, meeting_id=meeting_id)
        raise
    return record.render_status


@task()
def render_notice_task(notice_id: int, attempt: int = 1) -> str:
    """Render the PDF of notice ``notice_id``; retry on failure until ``MAX_ATTEMPTS``."""
    try:
        notice = notice_render(notice_id=notice_id)
    except NoticeRenderFailed:
        if attempt < MAX_ATTEMPTS:
            _retry(render_notice_task, attempt, notice_id=notice_id)
        raise
    return notice.render_status
