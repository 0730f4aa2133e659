"""Time limits and overdue as pure functions over plain data (no ORM, no clock of their own).

A dispatch's due times are fixed when it is sent, from the street's ``DispatchLimit`` row for
the matter's category or :data:`DEFAULT_LIMITS`. Whether it is overdue is computed from those
due times, what happened and ``now``; nothing stores "overdue".
"""

import datetime as dt
from dataclasses import dataclass

from deliberation.models.dispatch import DispatchStatus as S
from deliberation.models.dispatch import EscalationReason


@dataclass(frozen=True)
class Limits:
    claim_hours: int
    feedback_days: int
    return_hours: int


# Claim within a working day, return within the same day, first feedback within a week.
DEFAULT_LIMITS = Limits(claim_hours=24, feedback_days=7, return_hours=24)


@dataclass(frozen=True)
class DueTimes:
    claim: dt.datetime
    return_: dt.datetime
    feedback: dt.datetime


def due_times(dispatched_at: dt.datetime, limits: Limits) -> DueTimes:
    """When the unit must claim, return at the latest, and first report back."""
    return DueTimes(
        claim=dispatched_at + dt.timedelta(hours=limits.claim_hours),
        return_=dispatched_at + dt.timedelta(hours=limits.return_hours),
        feedback=dispatched_at + dt.timedelta(days=limits.feedback_days),
    )


@dataclass(frozen=True)
class DispatchClock:
    """What the clock says about one dispatch at ``now``."""

    status: str
    claim_due_at: dt.datetime
    feedback_due_at: dt.datetime
    first_feedback_at: dt.datetime | None


def overdue_reason(clock: DispatchClock, now: dt.datetime) -> str:
    """``EscalationReason`` value when the dispatch is overdue at ``now``, else ``""``.

    Waiting for a claim past its due time: claim overdue. Claimed, with no feedback (nor
    completion) by the feedback due time: feedback overdue. Finished dispatches are never overdue.
    """
    if clock.status == S.DISPATCHED and now > clock.claim_due_at:
        return EscalationReason.CLAIM_OVERDUE
    if (
        clock.status == S.CLAIMED
        and clock.first_feedback_at is None
        and now > clock.feedback_due_at
    ):
        return EscalationReason.FEEDBACK_OVERDUE
    return ""


def is_late(due: dt.datetime, now: dt.datetime) -> bool:
    """A step at ``now`` after ``due`` is late (a step exactly at the due time is not)."""
    return now > due
