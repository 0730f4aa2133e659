"""Who may do what in a meeting: named predicates, one per permission."""

from __future__ import annotations

from typing import Any

from deliberation import scope
from deliberation.models import Member
from meetings.models import Meeting


def is_facilitator(user: Any, meeting: Meeting) -> bool:
    """The meeting's facilitator, or staff allowed to change meetings."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(
        user.pk == meeting.facilitator_id
        or user.is_superuser
        or user.has_perm("meetings.change_meeting")
    )


def member_of(user: Any, meeting: Meeting) -> Member | None:
    """The user's standing in the meeting's community, read afresh (connections outlive it)."""
    if not getattr(user, "is_authenticated", False):
        return None  # consumers may hold no user at all
    return scope.member_of(user, meeting.community, fresh=True)


def is_participant(user: Any, meeting: Meeting) -> bool:
    """A signed-in member of the meeting's community."""
    return member_of(user, meeting) is not None


def can_view(user: Any, meeting: Meeting) -> bool:
    """Public meetings are open to anyone; private ones to members and facilitators."""
    return meeting.is_public or is_participant(user, meeting) or is_facilitator(user, meeting)


def role_for(user: Any, meeting: Meeting) -> str | None:
    """The connection's role: ``facilitator``, ``participant``, ``observer``, or None (refused)."""
    if is_facilitator(user, meeting):
        return "facilitator"
    if is_participant(user, meeting):
        return "participant"
    if meeting.is_public:
        return "observer"
    return None


ROLE_ACTIONS = {
    "facilitator": [
        "agenda.goto",
        "poll.open",
        "poll.close",
        "speaker.next",
        "note.add",
        "attendance.mark",
        "meeting.close",
        "ballot.cast",
        "speaker.request",
        "speaker.withdraw",
    ],
    "participant": ["ballot.cast", "speaker.request", "speaker.withdraw"],
    "observer": [],
}


def may(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, [])
