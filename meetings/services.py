"""Every write to meetings goes through here. Each change locks the meeting row, bumps
``Meeting.seq`` in the same transaction and broadcasts the changed sections after commit.

Voting itself belongs to ``votes.services``; the meeting wrappers here check that the poll is on
this meeting's agenda, keep the seq and the broadcasts, and leave the ballot rules to votes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.accounts.throttle import checkin_rules, throttle_blocked, throttle_hit
from deliberation.exceptions import InvalidInput, TransitionNotAllowed
from deliberation.models import (
    Community,
    Member,
    NotificationKind,
    Party,
    Proposal,
    ProposalStatus,
    User,
)
from deliberation.notifications.services import notify_meeting_changed, notify_users
from deliberation.proposals.services import proposal_transition
from deliberation.resolutions.services import resolution_create
from meetings import procedure, rules, selectors, transitions
from meetings.broadcast import broadcast_on_commit
from meetings.exceptions import MeetingRefused
from meetings.minutes.services import minutes_approvals_settle, minutes_enqueue
from meetings.models import (
    AgendaItem,
    Attendance,
    Meeting,
    MeetingEvent,
    MeetingEventKind,
    MeetingStatus,
    Note,
    PartyPosition,
    SpeakerRequest,
    SpeakerStatus,
    Stance,
)
from meetings.tallies import tally_request_on_commit
from votes.counting import Verdict
from votes.exceptions import REFUSAL_MESSAGES, PollStateError, VoteRefused
from votes.models import Electorate, Kind, Poll, PollStatus
from votes.services import (
    CastRequest,
    ballots_cast_batch,
    poll_close,
    poll_finalise,
    poll_open,
    poll_reopen,
)

NOTE_MAX_CHARS = 2000
STATEMENT_MAX_CHARS = 2000
REASON_MAX_CHARS = 500


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
    if not transitions.may_change(meeting.status, "agenda_add"):
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


# --- changes after scheduling ------------------------------------------------------------


def _event(meeting: Meeting, kind: str, actor: User | None, note: str = "", **data: Any) -> None:
    MeetingEvent.objects.create(meeting=meeting, kind=kind, actor=actor, note=note, data=data)


def _require_change(meeting: Meeting, change: str) -> None:
    if not transitions.may_change(meeting.status, change):
        raise MeetingRefused("bad_state")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX_CHARS:
        raise MeetingRefused("bad_request", _("请说明理由(不超过500字)"))
    return reason


def attendee_user_ids(meeting: Meeting) -> list[int]:
    """Who is told of a change: the council members and everyone invited to the meeting."""
    return sorted({m.user_id for m in selectors.expected_members(meeting)})


def _meeting_path(meeting: Meeting) -> str:
    community = Community.objects.only("slug").get(pk=meeting.community_id)
    return reverse("meeting-detail", args=[community.slug, meeting.pk])


def _notify_rescheduled(meeting: Meeting, *, user_ids: Sequence[int]) -> None:
    """Tell the attendees the new time and place, each by their preferred channel (rows
    written in this transaction, delivered after commit; a new time is a new occasion)."""
    notify_meeting_changed(
        community=Community.objects.get(pk=meeting.community_id),
        meeting_id=meeting.pk,
        user_ids=user_ids,
        title=meeting.title,
        starts_at=meeting.starts_at,
        place=meeting.place,
        url=_meeting_path(meeting),
    )


def _notify_cancelled(meeting: Meeting, *, user_ids: Sequence[int]) -> None:
    """Tell the attendees the meeting is cancelled, with the reason."""
    notify_users(
        community=Community.objects.get(pk=meeting.community_id),
        user_ids=user_ids,
        kind=NotificationKind.MEETING_CHANGED,
        key=f"meeting:{meeting.pk}:cancelled",
        title=_("议事会「%(title)s」已取消") % {"title": meeting.title},
        body=_("原定 %(when)s 在%(place)s召开。取消原因：%(reason)s")
        % {
            "when": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
            "place": meeting.place,
            "reason": meeting.cancel_reason,
        },
        url=_meeting_path(meeting),
    )


@transaction.atomic
def meeting_edit(
    *,
    meeting: Meeting,
    actor: User,
    title: str,
    facilitator: User,
    is_public: bool,
) -> Meeting:
    """Correct a meeting's title, facilitator or publicity before it ends.

    Committee staff of the meeting's community only, and the facilitator too. Time and place
    are what the attendees must hear of: :func:`meeting_reschedule` moves them. Logged
    (``edited``) with the old and new values; a call that changes nothing writes nothing.
    Raises ``MeetingRefused``.
    """
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_change(meeting, "edit")
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise MeetingRefused("bad_request", _("请填写会议名称(不超过120字)"))
    community = Community.objects.get(pk=meeting.community_id)
    if not rules.may_facilitate(facilitator, community):
        raise MeetingRefused(
            "forbidden",
            _("主持人须为本社区居委会工作人员：物业和职能部门人员不能主持议事会或组织表决"),
        )
    wanted = {
        "title": title,
        "facilitator_id": facilitator.pk,
        "is_public": bool(is_public),
    }
    changed = {
        name: [getattr(meeting, name), value]
        for name, value in wanted.items()
        if getattr(meeting, name) != value
    }
    if not changed:
        return meeting
    for name, (_old, value) in changed.items():
        setattr(meeting, name, value)
    meeting.save(update_fields=[n.removesuffix("_id") for n in changed])
    _event(meeting, MeetingEventKind.EDITED, actor, "", **changed)
    _bump(meeting)
    _emit(meeting.pk, "meeting", ["meeting"])
    return meeting


@transaction.atomic
def meeting_reschedule(
    *,
    meeting: Meeting,
    actor: User,
    starts_at: datetime,
    reason: str,
    place: str | None = None,
) -> Meeting:
    """Move a scheduled meeting to a new time (and place), with the reason.

    The attendees (council members and invitees) are told; the ``rescheduled`` event records
    who, when, why, the old and new time and place and the recipients. Raises
    ``MeetingRefused``: ``bad_state`` once the meeting started, ``bad_request`` without a
    reason, for a time in the past or when nothing moves.
    """
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_change(meeting, "reschedule")
    reason = _reason(reason)
    place = meeting.place if place is None else place.strip()
    if not place or len(place) > 120:
        raise MeetingRefused("bad_request", _("请填写地点(不超过120字)"))
    if starts_at <= timezone.now():
        raise MeetingRefused("bad_request", _("新的会议时间须晚于现在"))
    if starts_at == meeting.starts_at and place == meeting.place:
        raise MeetingRefused("bad_request", _("会议时间和地点都没有改变"))
    previous = {"starts_at": meeting.starts_at.isoformat(), "place": meeting.place}
    meeting.starts_at = starts_at
    meeting.place = place
    meeting.save(update_fields=["starts_at", "place"])
    recipients = attendee_user_ids(meeting)
    _event(
        meeting,
        MeetingEventKind.RESCHEDULED,
        actor,
        note=reason,
        previous=previous,
        starts_at=starts_at.isoformat(),
        place=place,
        notified=recipients,
    )
    _notify_rescheduled(meeting, user_ids=recipients)
    _bump(meeting)
    _emit(meeting.pk, "meeting", ["meeting"])
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, actor: User, reason: str) -> Meeting:
    """Cancel a scheduled meeting (``scheduled`` → ``cancelled``), with the reason.

    Proposals on its agenda that are on no other upcoming meeting go back to ``accepted``
    (taken off the agenda) so they can be scheduled again; polls stay as they are. The
    attendees are told. Raises ``MeetingRefused``: ``bad_state`` unless scheduled (a live
    meeting is closed, not cancelled), ``bad_request`` without a reason.
    """
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    if not transitions.may_transition(meeting.status, MeetingStatus.CANCELLED):
        raise MeetingRefused("bad_state")
    reason = _reason(reason)
    now = timezone.now()
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.cancel_reason = reason
    meeting.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    released = []
    for item in meeting.items.select_related("proposal").filter(
        proposal__status=ProposalStatus.SCHEDULED
    ):
        proposal = item.proposal
        assert proposal is not None  # filtered on its status
        elsewhere = (
            AgendaItem.objects.filter(
                proposal=proposal,
                meeting__status__in=[MeetingStatus.SCHEDULED, MeetingStatus.LIVE],
            )
            .exclude(meeting=meeting)
            .exists()
        )
        if elsewhere or proposal.pk in released:
            continue
        try:
            proposal_transition(
                proposal=proposal,
                to_status=ProposalStatus.ACCEPTED,
                actor=actor,
                note=_("议事会「%(title)s」取消：%(reason)s")
                % {"title": meeting.title, "reason": reason},
            )
        except TransitionNotAllowed as exc:
            raise MeetingRefused("bad_request", exc.message) from exc
        released.append(proposal.pk)
    recipients = attendee_user_ids(meeting)
    _event(
        meeting,
        MeetingEventKind.CANCELLED,
        actor,
        note=reason,
        proposals_released=released,
        notified=recipients,
    )
    _notify_cancelled(meeting, user_ids=recipients)
    _bump(meeting)
    _emit(meeting.pk, "meeting", ["meeting", "agenda"])
    return meeting


@transaction.atomic
def agenda_reorder(*, meeting: Meeting, actor: User, item_ids: Sequence[int]) -> Meeting:
    """Put the agenda in the order of ``item_ids``: every item of the meeting exactly once.

    Allowed until the meeting ends; the current item stays current. Logged (``reordered``)
    with the old and new order. Raises ``MeetingRefused`` (``bad_request`` for a list that is
    not the meeting's items).
    """
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_change(meeting, "reorder")
    items = list(meeting.items.order_by("sort_order", "pk"))
    before = [item.pk for item in items]
    wanted = [int(pk) for pk in item_ids]
    if len(wanted) != len(before) or set(wanted) != set(before):
        raise MeetingRefused("bad_request", _("议程顺序须恰好包含本次会议的每一项议程"))
    if wanted == before:
        return meeting
    by_pk = {item.pk: item for item in items}
    for order, pk in enumerate(wanted):
        by_pk[pk].sort_order = order
    AgendaItem.objects.bulk_update(items, ["sort_order"])
    _event(meeting, MeetingEventKind.REORDERED, actor, before=before, after=wanted)
    _bump(meeting)
    _emit(meeting.pk, "agenda", ["agenda"])
    return meeting


# --- after the meeting: results published, proposals follow the verdicts ----------------


def _publish_held_results(meeting: Meeting, actor: User) -> None:
    """Publish the final result of each deliberative poll the meeting closed and held.

    A poll whose ballot chain fails verification stays closed (the votes service refuses
    it) and is noted on the meeting; it does not stop the meeting from closing."""
    held = Poll.objects.filter(
        agenda_items__meeting=meeting,
        status=PollStatus.CLOSED,
        kind=Kind.DELIBERATIVE,
        finalised_at__isnull=True,
    ).distinct()
    for poll in held:
        try:
            poll_finalise(poll=poll, actor=actor, force=True)
        except PollStateError as exc:
            _event(meeting, MeetingEventKind.FOLLOWED_UP, actor, note=exc.message, poll=poll.pk)


def _adopted_options(poll: Poll) -> list[Any]:
    """The options a passed poll adopted (its winners), in ballot order."""
    winners = (poll.result or {}).get("winners") or []
    return list(
        poll.options.filter(pk__in=winners)
        .select_related("proposal_option")
        .order_by("sort_order", "pk")
    )


def _follow_verdicts(meeting: Meeting, actor: User) -> None:
    """After the vote: each agenda item's proposal still ``scheduled`` follows its poll's
    published verdict. Passed → ``decided`` with one draft resolution per adopted option
    (committee staff complete and assign each, ``resolution_assign``); failed →
    ``not_adopted``; no verdict or a tie → back to ``accepted`` to be deliberated again.
    An item without a poll, or whose result is not final yet (an owners' decision in its
    objection period), is left as it is. Each step is logged (``followed_up``)."""
    items = meeting.items.select_related("proposal", "poll").order_by("sort_order", "pk")
    seen: set[int] = set()
    for item in items:
        proposal, poll = item.proposal, item.poll
        if proposal is None or poll is None or proposal.pk in seen:
            continue
        poll.refresh_from_db()
        proposal.refresh_from_db()
        if poll.status != PollStatus.FINAL or proposal.status != ProposalStatus.SCHEDULED:
            continue
        seen.add(proposal.pk)
        verdict = (poll.result or {}).get("verdict")
        reasons = "；".join((poll.result or {}).get("reasons") or [])
        note = _("议事会「%(meeting)s」表决“%(question)s”：%(reasons)s") % {
            "meeting": meeting.title,
            "question": poll.question,
            "reasons": reasons,
        }
        if verdict == Verdict.PASSED:
            to_status = ProposalStatus.DECIDED
        elif verdict == Verdict.FAILED:
            to_status = ProposalStatus.NOT_ADOPTED
        else:
            to_status = ProposalStatus.ACCEPTED
        drafts: list[int] = []
        try:
            with transaction.atomic():
                proposal_transition(proposal=proposal, to_status=to_status, actor=actor, note=note)
                if to_status == ProposalStatus.DECIDED:
                    drafts = _draft_resolutions(meeting, poll, proposal, actor)
        except (TransitionNotAllowed, InvalidInput) as exc:
            _event(
                meeting,
                MeetingEventKind.FOLLOWED_UP,
                actor,
                note=_("议题状态未能变更: %(error)s") % {"error": exc},
                proposal=proposal.pk,
                poll=poll.pk,
            )
            continue
        _event(
            meeting,
            MeetingEventKind.FOLLOWED_UP,
            actor,
            note=note,
            proposal=proposal.pk,
            poll=poll.pk,
            verdict=verdict,
            to_status=to_status,
            draft_resolutions=drafts,
        )


def _draft_resolutions(meeting: Meeting, poll: Poll, proposal: Proposal, actor: User) -> list[int]:
    """One draft resolution per adopted option (one for the question itself when the poll
    adopted a yes/no answer or a label of its own)."""
    community = Community.objects.get(pk=meeting.community_id)
    deadline = timezone.localdate() + timedelta(days=community.resolution_days)
    party = proposal.responsible_party or Party.COMMITTEE
    created = []
    options = [o for o in _adopted_options(poll) if o.proposal_option_id is not None]
    plans = options or [None]
    for option in plans:
        decision = (
            _("经议事会表决通过：%(option)s") % {"option": option.label}
            if option is not None
            else _("经议事会表决通过：%(question)s") % {"question": poll.question}
        )
        resolution = resolution_create(
            proposal=proposal,
            decision=decision,
            responsible_party=party,
            deadline=deadline,
            actor=actor,
            adopted_option=option.proposal_option if option is not None else None,
            draft=True,
        )
        created.append(resolution.pk)
    if created and poll.resolution_id is None:
        Poll.objects.filter(pk=poll.pk).update(resolution_id=created[0])
    return created


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
    """``live`` → ``closed``. Open polls of the agenda close first, and the results the
    meeting held (deliberative polls closed during it) are published; then each agenda item's
    proposal follows its poll's verdict (``_follow_verdicts``). A speaker still on the floor is
    marked done."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_live(meeting)
    for poll in Poll.objects.filter(agenda_items__meeting=meeting, status=PollStatus.OPEN):
        poll_close(poll=poll, actor=actor, finalise=False)
    _publish_held_results(meeting, actor)
    _follow_verdicts(meeting, actor)
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
    minutes_approvals_settle(meeting=meeting, actor=actor)  # minutes this meeting adopted
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
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
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
        if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
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
    # Deliberative results are published when the meeting closes: until then a mistaken close
    # can be undone (``meeting_poll_reopen``).
    poll = poll_close(poll=poll, actor=actor, finalise=False)
    _bump(meeting)
    _emit(meeting.pk, "poll.closed", ["agenda", "poll", "tally"], result=poll.result)
    return poll


@transaction.atomic
def meeting_poll_reopen(
    *, meeting: Meeting, poll: Poll | int, actor: User, reason: str = ""
) -> Poll:
    """Reopen a poll of this live meeting closed by mistake, while its result is unpublished
    (``votes.services.poll_reopen``): the ballots cast before stay, voting goes on, and the
    item becomes current. Logged on the poll and the meeting. Raises ``MeetingRefused``
    (``bad_state`` when the poll may not reopen)."""
    meeting = _locked(meeting)
    _require_facilitator(actor, meeting)
    _require_live(meeting)
    poll = _poll_of(meeting, poll)
    reason = (reason or "").strip()[:REASON_MAX_CHARS] or _("主持人误结束表决，重新开放")
    try:
        poll = poll_reopen(poll=poll, actor=actor, reason=reason)
    except PollStateError as exc:
        raise MeetingRefused("bad_state", exc.message) from exc
    item = AgendaItem.objects.filter(meeting=meeting, poll=poll).order_by("sort_order").first()
    if item is not None and meeting.current_item_id != item.pk:
        meeting.current_item = item
        meeting.save(update_fields=["current_item"])
    _event(
        meeting,
        MeetingEventKind.POLL_REOPENED,
        actor,
        note=reason,
        poll=poll.pk,
        ballots=poll.ballot_seq,
    )
    _bump(meeting)
    _emit(meeting.pk, "poll.opened", ["agenda", "poll", "tally"])
    return poll


@dataclass(frozen=True)
class MeetingCast:
    """One ballot from a live client: the meeting, the poll, the voter, the choice payload."""

    meeting_id: int
    poll_id: int
    user_id: int
    choice: dict[str, Any]
    ref: str | int | None = None  # the same ref again answers with the original receipt


@dataclass(frozen=True)
class MeetingCastOutcome:
    receipt: str | None = None
    code: str | None = None
    message: str = ""
    replayed: bool = False  # the original receipt of a repeated request; nothing was cast


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
            CastRequest(
                poll_id=cast.poll_id, choice=cast.choice, voter_id=cast.user_id, ref=cast.ref
            )
        )
        index.append(i)
    if requests:
        for i, outcome in zip(index, ballots_cast_batch(requests), strict=True):
            outcomes[i] = MeetingCastOutcome(
                receipt=outcome.receipt.receipt if outcome.receipt else None,
                code=outcome.code,
                message=str(outcome.message or ""),
                replayed=outcome.replayed,
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
