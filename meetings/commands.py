"""Run one validated client message (websocket frame or plain form) through the services.

Both the consumer and the HTTP fallback call ``command_execute``, so a message does the same
whatever carried it. Refusals come back as ``CommandRefused(code, message)`` with a code from
``protocol.ERROR_CODES``; nothing is written when one is raised.
"""

from __future__ import annotations

from typing import Any

from deliberation.models import User
from meetings import protocol, rules, services
from meetings.exceptions import MeetingRefused
from meetings.models import Meeting
from votes.exceptions import PollStateError, VoteRefused


class CommandRefused(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        self.code = code if code in protocol.ERROR_CODES else "bad_request"
        self.message = message or str(protocol.ERROR_CODES[self.code])
        super().__init__(f"{self.code}: {self.message}")


def refusal_of(exc: Exception) -> CommandRefused:
    """Map a domain refusal to a protocol error code."""
    if isinstance(exc, CommandRefused):
        return exc
    if isinstance(exc, MeetingRefused):
        code = exc.code if exc.code in protocol.ERROR_CODES else "bad_request"
        return CommandRefused(code, exc.message)
    if isinstance(exc, VoteRefused):
        return CommandRefused(exc.code, exc.message)
    if isinstance(exc, PollStateError):
        return CommandRefused("bad_state", exc.message)
    raise exc


def command_execute(*, meeting_id: int, user: Any, message: Any) -> None:
    """Execute a non-ballot message for ``user``. Ballots go through
    ``services.meeting_ballots_cast`` (batched by the consumer)."""
    meeting = Meeting.objects.select_related("community").filter(pk=meeting_id).first()
    if meeting is None:
        raise CommandRefused("not_found")
    role = rules.role_for(user, meeting)
    if role is None or not rules.may(role, message.type):
        raise CommandRefused("forbidden")
    actor: User = user
    try:
        match message:
            case protocol.SpeakerRequestMsg():
                services.speaker_request(meeting=meeting, user=actor)
            case protocol.SpeakerWithdraw():
                services.speaker_withdraw(meeting=meeting, user=actor)
            case protocol.AgendaGoto():
                services.agenda_goto(meeting=meeting, item=message.item, actor=actor)
            case protocol.PollOpen():
                services.meeting_poll_open(meeting=meeting, poll=message.poll, actor=actor)
            case protocol.PollClose():
                services.meeting_poll_close(meeting=meeting, poll=message.poll, actor=actor)
            case protocol.PollReopen():
                services.meeting_poll_reopen(
                    meeting=meeting, poll=message.poll, actor=actor, reason=message.reason
                )
            case protocol.SpeakerNext():
                services.speaker_next(meeting=meeting, actor=actor)
            case protocol.NoteAdd():
                services.note_add(
                    meeting=meeting, item=message.item, author=actor, text=message.text
                )
            case protocol.AttendanceMark():
                services.attendance_mark(
                    meeting=meeting, member=message.member, present=message.present, actor=actor
                )
            case protocol.MeetingClose():
                services.meeting_close(meeting=meeting, actor=actor)
            case _:
                raise CommandRefused("unknown_type")
    except Exception as exc:
        raise refusal_of(exc) from exc
