"""Demo documents for ``seed_demo``: a meeting held and closed a month ago, whose minutes render
on close (immediate task backend, so ``make demo`` needs no worker), and notices (公示) of the
demo's vote results and resolutions.

Idempotent: the meeting is keyed on its title and left as it is once it exists; notices are
issued through ``notice_issue``, which reissues only when what a notice shows changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from deliberation.models import Community, Member, Party, Resolution, User
from meetings import services as meeting_services
from meetings.minutes.notices import notice_issue
from meetings.minutes.services import minutes_enqueue, minutes_finalise, minutes_revise
from meetings.models import (
    Attendance,
    Meeting,
    MeetingStatus,
    MinutesRecord,
    Note,
    SpeakerRequest,
    Stance,
)
from votes.models import Poll, PollStatus

PAST_TITLE = "2026年第三季度四方议事会"
MEETING_LENGTH = timedelta(hours=1, minutes=3)
NOTES = [
    "业主大会表决结果已公示七日,无异议。",
    "物业表示将在三十日内完成车位划线,费用按方案分摊。",
]
POSITIONS = [
    (Party.RESIDENT, Stance.SUPPORT, "业主代表支持按表决结果实施,希望尽快动工。"),
    (Party.PROPERTY, Stance.CONDITIONAL, "同意实施,需街道城管审批后开工。"),
    (Party.COMMITTEE, Stance.SUPPORT, "居委会负责跟踪进度并公示。"),
    (Party.DEPARTMENT, Stance.SUPPORT, "城管科将在十个工作日内完成审批。"),
]


def seed_documents(community: Community) -> Meeting | None:
    """The closed demo meeting with its minutes, and the notices; returns the meeting."""
    meeting = _seed_past_meeting(community)
    if meeting is not None:
        record = getattr(meeting, "minutes_record", None)
        if record is None or record.document_id is None:
            minutes_enqueue(meeting=meeting)
    _seed_notices(community)
    return meeting


def _member(community: Community, username: str) -> Member | None:
    return (
        Member.objects.filter(community=community, user__username=username)
        .select_related("user")
        .first()
    )


def _seed_past_meeting(community: Community) -> Meeting | None:
    existing = Meeting.objects.filter(community=community, title=PAST_TITLE).first()
    if existing is not None:
        return existing
    facilitator = User.objects.filter(username="committee").first()
    poll = (
        Poll.objects.filter(
            community=community,
            proposal__isnull=False,
            status__in=[PollStatus.CLOSED, PollStatus.FINAL],
            result__isnull=False,
        )
        .select_related("proposal")
        .order_by("pk")
        .first()
    )
    if facilitator is None or poll is None:
        return None
    other = (
        Resolution.objects.filter(community=community)
        .exclude(proposal=poll.proposal)
        .select_related("proposal")
        .order_by("pk")
        .first()
    )
    starts = (timezone.localtime() - timedelta(days=30)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    with transaction.atomic():
        meeting = meeting_services.meeting_schedule(
            community=community,
            title=PAST_TITLE,
            starts_at=starts,
            place="社区党群服务中心二楼会议室",
            facilitator=facilitator,
            actor=facilitator,
            is_public=True,
        )
        first = meeting_services.agenda_item_add(
            meeting=meeting, actor=facilitator, proposal=poll.proposal, poll=poll
        )
        items = [first]
        if other is not None:
            items.append(
                meeting_services.agenda_item_add(
                    meeting=meeting, actor=facilitator, proposal=other.proposal
                )
            )
        meeting_services.meeting_open(meeting=meeting, actor=facilitator)
        present = [
            member
            for member in [
                _member(community, name)
                for name in ("committee", "property", "department", "resident-rep")
            ]
            if member is not None
        ]
        present += list(
            Member.objects.filter(community=community, party=Party.RESIDENT)
            .exclude(user__username="resident-rep")
            .order_by("pk")[:4]
        )
        for member in present:
            meeting_services.attendance_mark(
                meeting=meeting, member=member, present=True, actor=facilitator
            )
        for member in present[1:3]:
            meeting_services.speaker_request(meeting=meeting, user=member.user)
        meeting_services.speaker_next(meeting=meeting, actor=facilitator)
        meeting_services.speaker_next(meeting=meeting, actor=facilitator)
        meeting_services.speaker_next(meeting=meeting, actor=facilitator)
        for text in NOTES:
            meeting_services.note_add(meeting=meeting, item=first, author=facilitator, text=text)
        for party, stance, statement in POSITIONS:
            meeting_services.position_record(
                meeting=meeting,
                item=first,
                party=party,
                stance=stance,
                statement=statement,
                actor=facilitator,
            )
        if len(items) > 1:
            meeting_services.note_add(
                meeting=meeting,
                item=items[1],
                author=facilitator,
                text="责任方通报办理进展,居民代表提出补充意见。",
            )
        # Closing queues the minutes render once this transaction commits.
        meeting_services.meeting_close(meeting=meeting, actor=facilitator)
        _backdate_meeting(meeting, starts)
        record = MinutesRecord.objects.get(meeting=meeting)
        minutes_revise(
            record=record,
            actor=facilitator,
            summary="会议审议停车管理方案的实施安排,四方均表示支持,按表决结果实施。",
            reason="补充会议摘要",
        )
        minutes_finalise(record=record, actor=facilitator)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    return meeting


def _backdate_meeting(meeting: Meeting, starts: datetime) -> None:
    """Demo only: the meeting ran one evening a month ago (19:00 to 20:03), not until today.

    Every time the minutes print moves into that evening, keeping its order.
    """
    closed = starts + MEETING_LENGTH
    Meeting.objects.filter(pk=meeting.pk).update(opened_at=starts, closed_at=closed)
    shift = timezone.now() - closed
    for note in Note.objects.filter(item__meeting=meeting):
        Note.objects.filter(pk=note.pk).update(at=max(starts, note.at - shift))
    for speaker in SpeakerRequest.objects.filter(item__meeting=meeting):
        SpeakerRequest.objects.filter(pk=speaker.pk).update(
            requested_at=max(starts, speaker.requested_at - shift),
            started_at=max(starts, speaker.started_at - shift) if speaker.started_at else None,
            ended_at=max(starts, speaker.ended_at - shift) if speaker.ended_at else None,
        )
    Attendance.objects.filter(meeting=meeting).update(at=starts)


def _seed_notices(community: Community) -> None:
    actor = User.objects.filter(username="committee").first()
    for poll in Poll.objects.filter(
        community=community,
        status__in=[PollStatus.CLOSED, PollStatus.FINAL],
        result__isnull=False,
    ).order_by("pk"):
        notice_issue(poll=poll, actor=actor)
    for resolution in Resolution.objects.filter(community=community).order_by("pk")[:3]:
        notice_issue(resolution=resolution, actor=actor)
