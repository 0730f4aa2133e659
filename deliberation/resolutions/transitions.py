"""The resolution life as a declared transition table (DESIGN.md "Resolution life").

Pure data and functions, no ORM. The services in ``deliberation.resolutions.services`` consult
:func:`check_resolution_transition` before writing and record a ``ResolutionTransition``.

    (created)   → in_progress | draft
    draft       → in_progress (committee staff complete the text and assign it)
    in_progress → completed (with a completion report)
    completed   → reopened  (community staff with a reason, or automatically when the
                             dissatisfied share of the round's ratings reaches the community's
                             ``reopen_dissatisfied_share``)
    reopened    → completed (with a new completion report)
"""

from dataclasses import dataclass
from fractions import Fraction

from deliberation.models.resolutions import ResolutionStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    "": frozenset({S.IN_PROGRESS, S.DRAFT}),
    S.DRAFT: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.COMPLETED}),
}

# What a step needs, besides being in the table.
NEEDS_REASON: frozenset[str] = frozenset({S.REOPENED})
NEEDS_REPORT: frozenset[str] = frozenset({S.COMPLETED})
OPEN_STATUSES: frozenset[str] = frozenset({S.IN_PROGRESS, S.REOPENED})

# A reopening by itself needs at least this many ratings in the round, so that one unhappy
# rating out of one does not reopen a job that the estate found fine.
REOPEN_MIN_RATINGS = 3


@dataclass(frozen=True)
class TransitionCheck:
    allowed: bool
    reason: str = ""


def allowed_targets(from_status: str) -> frozenset[str]:
    return TRANSITIONS.get(from_status, frozenset())


def check_resolution_transition(
    from_status: str, to_status: str, *, reason: str = "", report: str = ""
) -> TransitionCheck:
    """Whether ``from_status → to_status`` is allowed with the given reason/report text."""
    if to_status not in TRANSITIONS:
        return TransitionCheck(False, f"unknown status {to_status!r}")
    if to_status not in allowed_targets(from_status):
        return TransitionCheck(False, f"{from_status or '(new)'} → {to_status} is not in the table")
    if to_status in NEEDS_REASON and not reason.strip():
        return TransitionCheck(False, f"{to_status} needs a reason")
    if to_status in NEEDS_REPORT and not report.strip():
        return TransitionCheck(False, f"{to_status} needs a completion report")
    return TransitionCheck(True)


def dissatisfied_share(*, satisfied: int, basic: int, dissatisfied: int) -> Fraction:
    """Share of 不满意 among all ratings of a round (0 when there are none)."""
    total = satisfied + basic + dissatisfied
    return Fraction(dissatisfied, total) if total else Fraction(0)


def should_reopen(
    *,
    satisfied: int,
    basic: int,
    dissatisfied: int,
    threshold: Fraction,
    min_ratings: int = REOPEN_MIN_RATINGS,
) -> bool:
    """Reopen when at least ``min_ratings`` ratings exist and the dissatisfied share reaches
    ``threshold`` (the community's 不满意率达到此比例时自动重新办理)."""
    total = satisfied + basic + dissatisfied
    if total < max(min_ratings, 1) or threshold <= 0:
        return False
    return (
        dissatisfied_share(satisfied=satisfied, basic=basic, dissatisfied=dissatisfied) >= threshold
    )
