"""The life of one dispatch as a declared transition table (pure data, no ORM).

    dispatched → claimed | returned | transferred
    claimed    → completed | transferred

``returned``, ``transferred`` and ``completed`` are final for the dispatch; the matter itself may
be dispatched again (a new row). Feedback is an event on a claimed dispatch, not a status, and so
is escalation (it marks the dispatch; the street then re-dispatches or transfers it).
"""

from dataclasses import dataclass

from deliberation.models.dispatch import DispatchStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DISPATCHED: frozenset({S.CLAIMED, S.RETURNED, S.TRANSFERRED}),
    S.CLAIMED: frozenset({S.COMPLETED, S.TRANSFERRED}),
    S.RETURNED: frozenset(),
    S.TRANSFERRED: frozenset(),
    S.COMPLETED: frozenset(),
}

# Fields a step must set (non-blank).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    S.RETURNED: ("return_reason",),
    S.COMPLETED: ("completion_report",),
    S.CLAIMED: ("claimed_by",),
}

ACTIVE_STATUSES: frozenset[str] = frozenset({S.DISPATCHED, S.CLAIMED})
FINAL_STATUSES: frozenset[str] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)

# A matter returned this many times escalates to the street at once; one more return is refused.
MAX_RETURNS = 2


@dataclass(frozen=True)
class TransitionCheck:
    allowed: bool
    reason: str = ""
    code: str = ""


def allowed_targets(from_status: str) -> frozenset[str]:
    return TRANSITIONS.get(from_status, frozenset())


def check_transition(
    from_status: str, to_status: str, fields: dict[str, object]
) -> TransitionCheck:
    """Whether ``from_status → to_status`` is in the table and its required fields are given."""
    if to_status not in TRANSITIONS:
        return TransitionCheck(False, f"unknown status {to_status!r}", "transition_not_allowed")
    if to_status not in allowed_targets(from_status):
        return TransitionCheck(
            False, f"{from_status} → {to_status} is not in the table", "transition_not_allowed"
        )
    for name in REQUIRED_FIELDS.get(to_status, ()):
        value = fields.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return TransitionCheck(False, f"{to_status} needs {name}", "invalid")
    return TransitionCheck(True)
