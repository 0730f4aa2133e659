"""Writes for minutes: ask for them to be rendered (in the background, ``tasks``)."""

from __future__ import annotations

from django.db import transaction

from meetings.minutes.tasks import render_minutes_task
from meetings.models import Meeting, MinutesRecord, RenderStatus


def minutes_enqueue(*, meeting: Meeting) -> MinutesRecord:
    """Mark the minutes as wanted and queue their render once the current transaction commits.

    Call it from ``meeting_close`` (and anywhere the minutes must be regenerated).
    """
    record, _created = MinutesRecord.objects.get_or_create(meeting=meeting)
    MinutesRecord.objects.filter(pk=record.pk).update(
        render_status=RenderStatus.PENDING, render_attempts=0, render_error=""
    )
    record.refresh_from_db()
    meeting_id = meeting.pk
    transaction.on_commit(lambda: render_minutes_task.enqueue(meeting_id=meeting_id, attempt=1))
    return record
