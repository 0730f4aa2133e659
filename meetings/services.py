"""Every write to meetings goes through here. Each change locks the meeting row, bumps
``Meeting.seq`` in the same transaction and broadcasts the changed sections after commit.

Voting itself belongs to ``votes.services``; the meeting wrappers here check that the poll is on
this meeting's agenda, keep the seq and the broadcasts, and leave the ballot rules to votes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.accounts.throttle import checkin_rules, throttle_blocked, throttle_hit
from deliberation.exceptions import TransitionNotAllowed
from deliberation.models import Community, Member, Party, Proposal, ProposalStatus, User
from deliberation.proposals.services import proposal_transition
from meetings import procedure, rules, selectors
from meetings.broadcast import broadcast_on_commit
from meetings.exceptions import MeetingRefused
from meetings.minutes.services import minutes_enqueue
from meetings.models import (
    AgendaItem,
    Attendance,
    Meeting,
    MeetingStatus,
    Note,
    PartyPosition,
    SpeakerRequest,
    SpeakerStatus,
    Stance,
)
from meetings.tallies import tally_request_on_commit
from votes.exceptions import REFUSAL_MESSAGES, VoteRefused
from votes.models import Electorate, Poll, PollStatus
from votes.services import CastRequest, ballots_cast_batch, poll_close, poll_open

NOTE_MAX_CHARS = 2000
STATEMENT_MAX_CHARS = 2000


def checkin_code_new() -> str:
    """A six-digit code shown at the door."""
    return f"{secrets.randbelow(10**6):06d}"


# --- internal helpers --------------------------------------------------------------------


def _locked(meeting: Meeting | int) -> Meeting:
    pk = meeting if isinstance(meeting, int) else meeting.pk
    locked = Meeting.objects.select_for_update().get(pk=pk)
    return locked


def _fresh(pk: int) -> Meeting:
    return Meeting.objects.select_related("community", "facilitator", "current_item__poll").get(
        pk=pk
    )


def _require_facilitator(actor: Any, meeting: Meeting) -> None:
    if not rules.is_facilitator(actor, meeting):
        raise MeetingRefused("forbidden")


def _require_live(meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.LIVE:
        raise MeetingRefused("bad_state")


def _bump(meeting: Meeting) -> int:
    meeting.seq += 1
    Meeting.objects.filter(pk=meeting.pk).update(seq=meeting.seq)
    return meeting.seq


def _emit(meeting_id: int, frame_type: str, sections: Sequence[str], **extra: Any) -> None:
    """Build the frame from the database inside the transaction and send it after commit.

    Facilitators get their own copy when a section differs for them: the tally (counts of a
    poll that hides its running tally) and attendance (the member list for check-in)."""
    meeting = _fresh(meeting_id)
    builders = {
        "meeting": lambda: selectors.section_meeting(meeting),
        "agenda": lambda: selectors.section_agenda(meeting),
        "poll": lambda: selectors.section_poll(meeting),
        "speakers": lambda: selectors.section_speakers(meeting),
    }
    event: dict[str, Any] = {"type": frame_type, "seq": meeting.seq}
    for name in sections:
        if name in builders:
            event[name] = builders[name]()
    event.update(extra)
    staff_event = None
    if "tally" in sections or "attendance" in sections:
        staff_event = dict(event)
        if "tally" in sections:
            event["tally"], staff_event["tally"] = selectors.section_tally_pair(meeting)
        if "attendance" in sections:
            full = selectors.section_attendance(meeting, members=True)
            staff_event["attendance"] = full
            event["attendance"] = {k: v for k, v in full.items() if k != "members"}
    broadcast_on_commit(meeting_id, event, staff_event=staff_event)


def _item_of(meeting: Meeting, item: AgendaItem | int) -> AgendaItem:
    pk = item if isinstance(item, int) else item.pk
    found = AgendaItem.objects.filter(meeting=meeting, pk=pk).first()
    if found is None:
        raise MeetingRefused("not_found")
    return found


def _member_of(meeting: Meeting, user: Any) -> Member:
    member = rules.member_of(user, meeting)
    if member is None:
        raise MeetingRefused("forbidden")
    return member


# --- scheduling --------------------------------------------------------------------------


def _proposal_to_scheduled(proposal: Proposal, actor: User, meeting: Meeting) -> None:
    note = f"{meeting.title} {timezone.localtime(meeting.starts_at):%Y-%m-%d %H:%M}"
    try:
        proposal_transition(
            proposal=proposal, to_status=ProposalStatus.SCHEDULED, actor=actor, note=note
        )
    except TransitionNotAllowed as exc:
        raise MeetingRefused("bad_request", exc.message) from exc


SCHEDULABLE = {ProposalStatus.ACCEPTED, ProposalStatus.NOT_ADOPTED}


@transaction.atomic
def meeting_schedule(
    *,
    community: Community,
    title: str,
    starts_at: datetime,
    place: str,
    facilitator: User,
    actor: User,
    is_public: bool = True,
    proposals: Iterable[Proposal] = (),
    polls: dict[int, Poll] | None = None,
    invitees: Iterable[Member] = (),
) -> Meeting:
    """Schedule a meeting with an agenda built from accepted proposals.

    Each proposal becomes an agenda item (in the given order) and moves to ``scheduled``;
    ``polls`` maps a proposal id to the poll that item carries. ``invitees`` are expected
    attendees beyond the council members. Raises ``MeetingRefused("forbidden")`` unless both
    ``actor`` and ``facilitator`` are committee staff of ``community`` (``rules.may_facilitate``)
    and ``MeetingRefused("bad_request")`` for a proposal of another community or not ``accepted``.
    """
    if not rules.may_facilitate(actor, community):
        raise MeetingRefused("forbidden")
    if not rules.may_facilitate(facilitator, community):
        raise MeetingRefused(
            "forbidden",
            _("主持人须为本社区居委会工作人员：物业和职能部门人员不能主持议事会或组织表决"),
        )
    if not title.strip() or not place.strip():
        raise MeetingRefused("bad_request")
    proposals = list(proposals)
    for proposal in proposals:
        if proposal.community_id != community.pk or proposal.status not in SCHEDULABLE:
            raise MeetingRefused(
                "bad_request",
                _("议题「%(title)s」不是本社区已受理的议题") % {"title": proposal.title},
            )
    meeting = Meeting.objects.create(
        community=community,
        title=title.strip(),
        starts_at=starts_at,
        place=place.strip(),
        facilitator=facilitator,
        is_public=is_public,
        checkin_code=checkin_code_new(),
        created_by=actor,
    )
    polls = polls or {}
    for order, proposal in enumerate(proposals):
        poll = polls.get(proposal.pk)
        if poll is not None and poll.community_id != community.pk:
            raise MeetingRefused("bad_request")
        AgendaItem.objects.create(
            meeting=meeting, proposal=proposal, title=proposal.title, poll=poll, sort_order=order
        )
        _proposal_to_scheduled(proposal, actor, meeting)
    for member in invitees:
        if member.community_id != community.pk:
            raise MeetingRefused("bad_request")
        Attendance.objects.get_or_create(
            meeting=meeting, member=member, defaults={"present": False, "marked_by": actor}
        )
    return meeting


@transaction.atomic
def agenda_item_add(
    *,
    meeting: Meeting,
    actor: User,
    title: str = "",
    proposal: Proposal | None = None,
    poll: Poll | None = None,
) -> AgendaItem:
    """Add an item at the end of the agenda (before or during the meeting)."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    if meeting.status == MeetingStatus.CLOSED:
        raise MeetingRefused("bad_state")
    if proposal is not None and proposal.community_id != meeting.community_id:
        raise MeetingRefused("bad_request")
    if poll is not None and poll.community_id != meeting.community_id:
        raise MeetingRefused("bad_request")
    title = (title or (proposal.title if proposal else "")).strip()
    if not title:
        raise MeetingRefused("bad_request")
    last = meeting.items.order_by("-sort_order").values_list("sort_order", flat=True).first()
    item = AgendaItem.objects.create(
        meeting=meeting,
        proposal=proposal,
        poll=poll,
        title=title[:200],
        sort_order=0 if last is None else last + 1,
    )
    if proposal is not None and proposal.status in SCHEDULABLE:
        _proposal_to_scheduled(proposal, actor, meeting)
    _bump(meeting)
    _emit(meeting.pk, "agenda", ["agenda"])
    return item


# --- the meeting's life ------------------------------------------------------------------


@transaction.atomic
def meeting_open(*, meeting: Meeting, actor: User) -> Meeting:
    """``scheduled`` → ``live``; the first agenda item becomes current."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingRefused("bad_state")
    meeting.status = MeetingStatus.LIVE
    meeting.opened_at = timezone.now()
    if meeting.current_item_id is None:
        meeting.current_item = meeting.items.order_by("sort_order", "pk").first()
    meeting.save(update_fields=["status", "opened_at", "current_item"])
    _bump(meeting)
    _emit(meeting.pk, "agenda", ["meeting", "agenda", "poll", "tally", "speakers"])
    return meeting


@transaction.atomic
def meeting_close(*, meeting: Meeting, actor: User) -> Meeting:
    """``live`` → ``closed``. Open polls of the agenda close first; a speaker still on the
    floor is marked done."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_live(meeting)
    for poll in Poll.objects.filter(agenda_items__meeting=meeting, status=PollStatus.OPEN):
        poll_close(poll=poll, actor=actor)
    now = timezone.now()
    SpeakerRequest.objects.filter(item__meeting=meeting, status=SpeakerStatus.SPEAKING).update(
        status=SpeakerStatus.DONE, ended_at=now
    )
    SpeakerRequest.objects.filter(item__meeting=meeting, status=SpeakerStatus.WAITING).update(
        status=SpeakerStatus.WITHDRAWN, ended_at=now
    )
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    meeting.save(update_fields=["status", "closed_at"])
    _bump(meeting)
    _emit(meeting.pk, "meeting.closed", ["meeting", "agenda", "poll", "tally", "speakers"])
    minutes_enqueue(meeting=meeting)  # rendered by a background task after commit
    return meeting


@transaction.atomic
def agenda_goto(*, meeting: Meeting, item: AgendaItem | int, actor: User) -> Meeting:
    """Make ``item`` the current agenda item. A speaker on the floor of the old item is done."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_live(meeting)
    item = _item_of(meeting, item)
    if meeting.current_item_id and meeting.current_item_id != item.pk:
        SpeakerRequest.objects.filter(
            item_id=meeting.current_item_id, status=SpeakerStatus.SPEAKING
        ).update(status=SpeakerStatus.DONE, ended_at=timezone.now())
    meeting.current_item = item
    meeting.save(update_fields=["current_item"])
    _bump(meeting)
    _emit(meeting.pk, "agenda", ["agenda", "poll", "tally", "speakers"])
    return meeting


# --- attendance --------------------------------------------------------------------------


@transaction.atomic
def attendance_mark(
    *, meeting: Meeting, member: Member | int, present: bool, actor: User
) -> Attendance:
    """Staff check a member in (or out)."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    if meeting.status == MeetingStatus.CLOSED:
        raise MeetingRefused("bad_state")
    member_pk = member if isinstance(member, int) else member.pk
    found = Member.objects.filter(pk=member_pk, community_id=meeting.community_id).first()
    if found is None:
        raise MeetingRefused("not_found")
    attendance, _created = Attendance.objects.update_or_create(
        meeting=meeting,
        member=found,
        defaults={"present": present, "self_checked_in": False, "marked_by": actor},
    )
    _bump(meeting)
    _emit(meeting.pk, "attendance", ["attendance"])
    return attendance


def attendance_checkin(
    *, meeting: Meeting, user: User, code: str, ip: str | None = None
) -> Attendance:
    """Self check-in with the code shown at the door. Members of the community only.

    Wrong codes are counted per person, per meeting and per client address ``ip``
    (``deliberation.accounts.throttle.checkin_rules``); once a limit is reached every check-in it
    covers, with the right code too, is refused (``rate_limited``) until its window ends. The
    count of a wrong code is kept although the call raises ``wrong_code``.
    """
    throttle_rules = checkin_rules(meeting_id=meeting.pk, user_id=user.pk, ip=ip)
    with transaction.atomic():
        meeting = _locked(meeting)
        if meeting.status == MeetingStatus.CLOSED:
            raise MeetingRefused("bad_state")
        member = _member_of(meeting, user)
        now = timezone.now()
        blocked = throttle_blocked(throttle_rules, now)
        if blocked is not None:
            raise MeetingRefused(
                "rate_limited",
                _("签到码错误次数过多，请 %(minutes)s 分钟后再试，或请工作人员为您签到")
                % {"minutes": blocked.minutes},
            )
        right = bool(meeting.checkin_code) and secrets.compare_digest(
            (code or "").strip().encode(), meeting.checkin_code.encode()
        )
        if not right:
            # Counted under the meeting's row lock, so concurrent guesses count one by one.
            throttle_hit(throttle_rules, now)
        else:
            attendance, created = Attendance.objects.get_or_create(
                meeting=meeting, member=member, defaults={"present": True, "self_checked_in": True}
            )
            if not created and not attendance.present:
                attendance.present = True
                attendance.self_checked_in = True
                attendance.save(update_fields=["present", "self_checked_in", "at"])
            elif not created:
                return attendance  # already here: nothing changes
            _bump(meeting)
            _emit(meeting.pk, "attendance", ["attendance"])
            return attendance
    # Raised outside the transaction so the count above is kept.
    raise MeetingRefused("wrong_code")


# --- speakers ----------------------------------------------------------------------------


def _spoken(item: AgendaItem, member: Member) -> int:
    return SpeakerRequest.objects.filter(
        item=item, member=member, status__in=[SpeakerStatus.DONE, SpeakerStatus.SPEAKING]
    ).count()


@transaction.atomic
def speaker_request(*, meeting: Meeting, user: User) -> SpeakerRequest:
    """Ask to speak on the current item. Present members only; at most ``speeches_per_item``
    speeches per person per item; one open request at a time."""
    meeting = _locked(meeting)
    _require_live(meeting)
    member = _member_of(meeting, user)
    item = meeting.current_item
    if item is None:
        raise MeetingRefused("bad_state")
    if not Attendance.objects.filter(meeting=meeting, member=member, present=True).exists():
        raise MeetingRefused("not_checked_in")
    if SpeakerRequest.objects.filter(
        item=item, member=member, status__in=[SpeakerStatus.WAITING, SpeakerStatus.SPEAKING]
    ).exists():
        raise MeetingRefused("already_queued")
    limit = meeting.community.speeches_per_item
    if not procedure.may_request_speech(spoken=_spoken(item, member), limit=limit):
        raise MeetingRefused("speech_limit")
    try:
        with transaction.atomic():
            request = SpeakerRequest.objects.create(item=item, member=member)
    except IntegrityError as exc:  # the partial unique index is the guard
        raise MeetingRefused("already_queued") from exc
    _bump(meeting)
    _emit(meeting.pk, "speakers", ["speakers"])
    return request


@transaction.atomic
def speaker_withdraw(*, meeting: Meeting, user: User) -> SpeakerRequest:
    """Withdraw one's waiting request on the current item."""
    meeting = _locked(meeting)
    _require_live(meeting)
    member = _member_of(meeting, user)
    request = SpeakerRequest.objects.filter(
        item_id=meeting.current_item_id, member=member, status=SpeakerStatus.WAITING
    ).first()
    if request is None:
        raise MeetingRefused("not_found")
    request.status = SpeakerStatus.WITHDRAWN
    request.ended_at = timezone.now()
    request.save(update_fields=["status", "ended_at"])
    _bump(meeting)
    _emit(meeting.pk, "speakers", ["speakers"])
    return request


@transaction.atomic
def speaker_next(*, meeting: Meeting, actor: User) -> SpeakerRequest | None:
    """End the current speech and give the floor to the next in order (or to nobody)."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_live(meeting)
    item = meeting.current_item
    if item is None:
        raise MeetingRefused("bad_state")
    now = timezone.now()
    SpeakerRequest.objects.filter(item=item, status=SpeakerStatus.SPEAKING).update(
        status=SpeakerStatus.DONE, ended_at=now
    )
    requests = list(SpeakerRequest.objects.filter(item=item))
    spoken: dict[int, int] = {}
    for r in requests:
        if r.status in (SpeakerStatus.DONE, SpeakerStatus.SPEAKING):
            spoken[r.member_id] = spoken.get(r.member_id, 0) + 1
    waiting = [
        procedure.QueueEntry(r.pk, r.member_id, r.requested_at)
        for r in requests
        if r.status == SpeakerStatus.WAITING
    ]
    order = procedure.speaker_order(waiting, spoken)
    chosen = None
    if order:
        chosen = SpeakerRequest.objects.get(pk=order[0].request_id)
        chosen.status = SpeakerStatus.SPEAKING
        chosen.started_at = now
        chosen.save(update_fields=["status", "started_at"])
    _bump(meeting)
    _emit(meeting.pk, "speakers", ["speakers"])
    return chosen


# --- notes and positions -----------------------------------------------------------------


@transaction.atomic
def note_add(*, meeting: Meeting, item: AgendaItem | int, author: User, text: str) -> Note:
    """A note (记录) on an agenda item, by the facilitator."""
    meeting = _locked(meeting)
    _require_facilitator(author, meeting)
    item = _item_of(meeting, item)
    text = (text or "").strip()
    if not text or len(text) > NOTE_MAX_CHARS:
        raise MeetingRefused("bad_request")
    note = Note.objects.create(item=item, author=author, text=text)
    _bump(meeting)
    _emit(meeting.pk, "agenda", ["agenda"])
    return note


@transaction.atomic
def position_record(
    *,
    meeting: Meeting,
    item: AgendaItem | int,
    party: str,
    stance: str,
    statement: str,
    actor: User,
) -> PartyPosition:
    """Record (or replace) one party's position on an agenda item."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    item = _item_of(meeting, item)
    if party not in Party.values or stance not in Stance.values:
        raise MeetingRefused("bad_request")
    statement = (statement or "").strip()
    if len(statement) > STATEMENT_MAX_CHARS:
        raise MeetingRefused("bad_request")
    position, _created = PartyPosition.objects.update_or_create(
        item=item,
        party=party,
        defaults={"stance": stance, "statement": statement, "recorded_by": actor},
    )
    _bump(meeting)
    _emit(meeting.pk, "agenda", ["agenda"])
    return position


# --- polls and ballots (voting rules in votes.services) ---------------------------------


def _poll_of(meeting: Meeting, poll: Poll | int) -> Poll:
    pk = poll if isinstance(poll, int) else poll.pk
    found = Poll.objects.filter(pk=pk, agenda_items__meeting=meeting).first()
    if found is None:
        raise MeetingRefused("not_found")
    return found


def present_user_ids(meeting: Meeting) -> list[int]:
    return list(
        Attendance.objects.filter(meeting=meeting, present=True).values_list(
            "member__user_id", flat=True
        )
    )


@transaction.atomic
def meeting_poll_open(*, meeting: Meeting, poll: Poll | int, actor: User) -> Poll:
    """Open a poll on this meeting's agenda. For an ``attendees`` poll, those checked in now
    are its electorate. Voting refusals come back as ``votes.exceptions`` errors."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_live(meeting)
    poll = _poll_of(meeting, poll)
    eligible = present_user_ids(meeting) if poll.electorate == Electorate.ATTENDEES else None
    poll = poll_open(poll=poll, actor=actor, eligible_user_ids=eligible)
    item = AgendaItem.objects.filter(meeting=meeting, poll=poll).order_by("sort_order").first()
    if item is not None and meeting.current_item_id != item.pk:
        meeting.current_item = item
        meeting.save(update_fields=["current_item"])
    _bump(meeting)
    _emit(meeting.pk, "poll.opened", ["agenda", "poll", "tally"])
    return poll


@transaction.atomic
def meeting_poll_close(*, meeting: Meeting, poll: Poll | int, actor: User) -> Poll:
    """Close a poll on this meeting's agenda; the frame carries its stored result."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_live(meeting)
    poll = _poll_of(meeting, poll)
    poll = poll_close(poll=poll, actor=actor)
    _bump(meeting)
    _emit(meeting.pk, "poll.closed", ["agenda", "poll", "tally"], result=poll.result)
    return poll


@dataclass(frozen=True)
class MeetingCast:
    """One ballot from a live client: the meeting, the poll, the voter, the choice payload."""

    meeting_id: int
    poll_id: int
    user_id: int
    choice: dict[str, Any]


@dataclass(frozen=True)
class MeetingCastOutcome:
    receipt: str | None = None
    code: str | None = None
    message: str = ""


def meeting_ballots_cast(casts: Sequence[MeetingCast]) -> list[MeetingCastOutcome]:
    """Cast a batch of ballots through ``votes.services.ballots_cast_batch`` (group commit:
    the votes service commits small batches and keeps the chain order). Each outcome comes back
    only after its ballot committed; a poll that is not on a live meeting's agenda is refused
    without touching votes. Tally broadcasts are requested after commit, coalesced per poll."""
    pairs = {(c.meeting_id, c.poll_id) for c in casts}
    valid = set(
        AgendaItem.objects.filter(
            meeting_id__in={m for m, _ in pairs},
            poll_id__in={p for _item, p in pairs},
            meeting__status=MeetingStatus.LIVE,
        ).values_list("meeting_id", "poll_id")
    )
    outcomes: list[MeetingCastOutcome | None] = [None] * len(casts)
    requests = []
    index = []
    for i, cast in enumerate(casts):
        if (cast.meeting_id, cast.poll_id) not in valid:
            outcomes[i] = MeetingCastOutcome(code="not_found")
            continue
        requests.append(
            CastRequest(poll_id=cast.poll_id, choice=cast.choice, voter_id=cast.user_id)
        )
        index.append(i)
    if requests:
        for i, outcome in zip(index, ballots_cast_batch(requests), strict=True):
            outcomes[i] = MeetingCastOutcome(
                receipt=outcome.receipt.receipt if outcome.receipt else None,
                code=outcome.code,
                message=str(outcome.message or ""),
            )
    return [o or MeetingCastOutcome(code="server_error") for o in outcomes]


def meeting_ballot_cast(
    *, meeting: Meeting, poll: Poll | int, user: User, choice: dict[str, Any]
) -> str:
    """One ballot from a plain form (no websocket). Returns the receipt; raises
    ``MeetingRefused`` or ``votes.exceptions.VoteRefused``."""
    poll_id = poll if isinstance(poll, int) else poll.pk
    [outcome] = meeting_ballots_cast([MeetingCast(meeting.pk, poll_id, user.pk, choice)])
    if outcome.receipt is None:
        code = outcome.code or "bad_request"
        if code == "not_found":
            raise MeetingRefused("not_found")
        raise VoteRefused(code if code in REFUSAL_MESSAGES else "bad_request", outcome.message)
    tally_request_on_commit(meeting.pk, poll_id)
    return outcome.receipt
