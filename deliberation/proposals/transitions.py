"""The proposal life as a declared transition table (DESIGN.md "Proposal life").

Pure data and functions, no ORM: ``proposal_transition`` in ``deliberation.services`` consults
:func:`check_transition` before it writes anything.

    submitted → accepted | answered | rejected | merged
    accepted  → scheduled | answered | merged | decided
    scheduled → decided | not_adopted | accepted (taken off the agenda)
    not_adopted → scheduled (deliberated again)

``answered``, ``rejected``, ``merged`` and ``decided`` are final.
"""

from dataclasses import dataclass

from deliberation.models.proposals import ProposalStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.ACCEPTED, S.ANSWERED, S.REJECTED, S.MERGED}),
    S.ACCEPTED: frozenset({S.SCHEDULED, S.ANSWERED, S.MERGED, S.DECIDED}),
    S.SCHEDULED: frozenset({S.DECIDED, S.NOT_ADOPTED, S.ACCEPTED}),
    S.NOT_ADOPTED: frozenset({S.SCHEDULED}),
    S.ANSWERED: frozenset(),
    S.REJECTED: frozenset(),
    S.MERGED: frozenset(),
    S.DECIDED: frozenset(),
}

# Fields a transition sets on the proposal; the required ones must be non-empty. Accepting is
# triage only from ``submitted``; back from ``scheduled`` it keeps the category and party it has.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    S.ACCEPTED: ("category", "responsible_party"),
    S.ANSWERED: ("answer",),
    S.REJECTED: ("reject_reason",),
    S.MERGED: ("merged_into",),
}
REQUIRED_ONLY_FROM: dict[str, str] = {S.ACCEPTED: S.SUBMITTED}
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    S.SCHEDULED: (),
    S.DECIDED: (),
    S.NOT_ADOPTED: (),
}

# Statuses in which a matter is still open to seconding and deliberation.
OPEN_STATUSES: frozenset[str] = frozenset({S.SUBMITTED, S.ACCEPTED, S.SCHEDULED})
FINAL_STATUSES: frozenset[str] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


@dataclass(frozen=True)
class TransitionCheck:
    allowed: bool
    reason: str = ""
    # "transition_not_allowed" for a step outside the table, "invalid" for missing/unknown fields
    code: str = ""


def allowed_targets(from_status: str) -> frozenset[str]:
    """Statuses reachable in one step from ``from_status``."""
    return TRANSITIONS.get(from_status, frozenset())


def required_fields(from_status: str, to_status: str) -> tuple[str, ...]:
    only_from = REQUIRED_ONLY_FROM.get(to_status)
    if only_from is not None and from_status != only_from:
        return ()
    return REQUIRED_FIELDS.get(to_status, ())


def settable_fields(to_status: str) -> tuple[str, ...]:
    return REQUIRED_FIELDS.get(to_status, ()) + OPTIONAL_FIELDS.get(to_status, ())


def check_transition(
    from_status: str, to_status: str, fields: dict[str, object]
) -> TransitionCheck:
    """Whether ``from_status → to_status`` is allowed with the given field values.

    Refuses unknown steps, missing or blank required fields, and fields the target does not set.
    """
    if to_status not in TRANSITIONS:
        return TransitionCheck(False, f"unknown status {to_status!r}", "transition_not_allowed")
    if to_status not in allowed_targets(from_status):
        return TransitionCheck(
            False, f"{from_status} → {to_status} is not in the table", "transition_not_allowed"
        )
    unexpected = sorted(set(fields) - set(settable_fields(to_status)))
    if unexpected:
        return TransitionCheck(
            False, f"{to_status} does not set {', '.join(unexpected)}", "invalid"
        )
    for name in required_fields(from_status, to_status):
        value = fields.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return TransitionCheck(False, f"{to_status} needs {name}", "invalid")
    return TransitionCheck(True)
