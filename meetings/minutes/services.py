"""Writes for minutes: render them (in the background, ``tasks``), and their review: the
facilitator corrects the draft (every revision kept), marks it final, and an agenda item of a
later meeting approves it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from deliberation.models import User
from meetings.exceptions import MeetingRefused
from meetings.minutes.tasks import render_minutes_task
from meetings.models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    MinutesRecord,
    MinutesRevision,
    MinutesStatus,
    RenderStatus,
)
from meetings.rules import is_facilitator
from votes.counting import Verdict


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


def _render_again(record: MinutesRecord) -> None:
    """Queue a render unless one is already queued (it reads the record when it runs)."""
    if record.render_status != RenderStatus.PENDING:
        minutes_enqueue(meeting=record.meeting)


def _locked_record(record: MinutesRecord, actor: User) -> MinutesRecord:
    locked = (
        MinutesRecord.objects.select_for_update()
        .select_related("meeting__community")
        .get(pk=record.pk)
    )
    if not is_facilitator(actor, locked.meeting):
        raise MeetingRefused("forbidden")
    return locked


def _clean_item_notes(meeting: Meeting, item_notes: dict[Any, str]) -> dict[str, str]:
    """Keep the non-empty corrections of the meeting's own agenda items, keyed by id string."""
    own = {
        str(pk) for pk in AgendaItem.objects.filter(meeting=meeting).values_list("pk", flat=True)
    }
    cleaned: dict[str, str] = {}
    for key, text in item_notes.items():
        if str(key) not in own:
            raise MeetingRefused("not_found")
        if not isinstance(text, str):
            raise MeetingRefused("bad_request")
        if text.strip():
            cleaned[str(key)] = text.strip()
    return cleaned


@transaction.atomic
def minutes_revise(
    *,
    record: MinutesRecord,
    actor: User,
    summary: str = "",
    item_notes: dict[Any, str] | None = None,
    reason: str = "",
) -> MinutesRevision:
    """Store the facilitator's corrections as a new revision and render the draft again.

    Raises ``MeetingRefused``: ``forbidden`` for anyone but committee staff of the meeting's
    community, ``bad_state`` once the minutes are final, ``not_found`` for a correction of
    another meeting's item.
    """
    record = _locked_record(record, actor)
    if record.status != MinutesStatus.DRAFT:
        raise MeetingRefused("bad_state")
    notes = _clean_item_notes(record.meeting, item_notes or {})
    last = record.revisions.aggregate(last=Max("number"))["last"] or 0
    revision = MinutesRevision.objects.create(
        record=record,
        number=last + 1,
        summary=summary.strip(),
        item_notes=notes,
        reason=reason.strip()[:200],
        author=actor,
        at=timezone.now(),
    )
    _render_again(record)
    return revision


@transaction.atomic
def minutes_finalise(*, record: MinutesRecord, actor: User) -> MinutesRecord:
    """``draft`` → ``final``: the public sees the minutes from now on; rendered again so the
    PDF says final. Raises ``MeetingRefused`` (``forbidden``, ``bad_state``)."""
    record = _locked_record(record, actor)
    if record.status != MinutesStatus.DRAFT or record.meeting.status != MeetingStatus.CLOSED:
        raise MeetingRefused("bad_state")
    record.status = MinutesStatus.FINAL
    record.finalised_at = timezone.now()
    record.finalised_by = actor
    record.save(update_fields=["status", "finalised_at", "finalised_by"])
    _render_again(record)
    return record


@transaction.atomic
def minutes_approval_link(*, record: MinutesRecord, item: AgendaItem, actor: User) -> MinutesRecord:
    """Name ``item`` (on a later meeting of the same community) as the agenda item that
    approves these minutes. Raises ``MeetingRefused`` (``forbidden``, ``bad_state`` when the
    minutes are not final or the item is not on a later meeting, ``bad_request`` when the item
    already approves other minutes)."""
    record = _locked_record(record, actor)
    meeting = record.meeting
    item = AgendaItem.objects.select_related("meeting").get(pk=item.pk)
    if record.status != MinutesStatus.FINAL:
        raise MeetingRefused("bad_state")
    if item.meeting.community_id != meeting.community_id or item.meeting_id == meeting.pk:
        raise MeetingRefused("not_found")
    if item.meeting.starts_at <= meeting.starts_at:
        raise MeetingRefused("bad_state")
    if MinutesRecord.objects.filter(approval_item=item).exclude(pk=record.pk).exists():
        raise MeetingRefused("bad_request")
    record.approval_item = item
    record.save(update_fields=["approval_item"])
    return record


def _item_adopted(item: AgendaItem) -> bool:
    """An approval item is adopted by its poll passing, or (no poll) by the meeting closing
    with the item on its agenda, the facilitator having put it to the meeting."""
    if item.poll_id is None:
        return item.meeting.status == MeetingStatus.CLOSED
    result = item.poll.result if item.poll is not None else None
    return isinstance(result, dict) and result.get("verdict") == Verdict.PASSED


@transaction.atomic
def minutes_approve(*, record: MinutesRecord, actor: User) -> MinutesRecord:
    """``final`` → ``approved`` once the linked agenda item was adopted. Raises
    ``MeetingRefused`` (``forbidden``; ``bad_state`` without an adopted approval item)."""
    record = _locked_record(record, actor)
    item = (
        AgendaItem.objects.select_related("meeting", "poll")
        .filter(pk=record.approval_item_id)
        .first()
        if record.approval_item_id is not None
        else None
    )
    if record.status != MinutesStatus.FINAL or item is None or not _item_adopted(item):
        raise MeetingRefused("bad_state")
    record.status = MinutesStatus.APPROVED
    record.approved_at = timezone.now()
    record.save(update_fields=["status", "approved_at"])
    _render_again(record)
    return record


def minutes_approvals_settle(*, meeting: Meeting, actor: User) -> list[MinutesRecord]:
    """Approve the final minutes whose approval item sits on ``meeting`` and was adopted.

    Called when ``meeting`` closes; minutes whose item was not adopted stay final.
    """
    approved = []
    for record in MinutesRecord.objects.filter(
        approval_item__meeting=meeting, status=MinutesStatus.FINAL
    ).select_related("approval_item__poll", "approval_item__meeting"):
        assert record.approval_item is not None
        if _item_adopted(record.approval_item):
            approved.append(minutes_approve(record=record, actor=actor))
    return approved
