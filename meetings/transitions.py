"""The meeting life as a declared table (DESIGN.md "Live meetings"), pure: no ORM.

    scheduled → live | cancelled
    live      → closed

``closed`` and ``cancelled`` are final. Besides the status steps, the table says in which
statuses each change after scheduling is allowed: a meeting's details may be corrected until
it ends; its time only moves, and it is only cancelled, before it starts; its agenda is
reordered until it ends.
"""

from __future__ import annotations

from meetings.models import MeetingStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.LIVE, S.CANCELLED}),
    S.LIVE: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Changes that keep the status, and the statuses that allow them.
CHANGES: dict[str, frozenset[str]] = {
    "edit": frozenset({S.SCHEDULED, S.LIVE}),
    "reschedule": frozenset({S.SCHEDULED}),
    "reorder": frozenset({S.SCHEDULED, S.LIVE}),
    "agenda_add": frozenset({S.SCHEDULED, S.LIVE}),
}


def may_transition(from_status: str, to_status: str) -> bool:
    """Whether ``from_status → to_status`` is a step of the table."""
    return to_status in TRANSITIONS.get(from_status, frozenset())


def may_change(status: str, change: str) -> bool:
    """Whether a meeting in ``status`` allows ``change`` (a key of ``CHANGES``)."""
    return status in CHANGES[change]
