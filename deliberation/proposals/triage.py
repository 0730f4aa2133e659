"""Pure triage rules: the response deadline and overdue, computed from the community's settings.

Never stored: the deadline is ``submitted_at + response_days`` (calendar days, DESIGN.md), and a
matter is overdue while it has had no first response by then, or if its first response came late.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ResponseClock:
    deadline: datetime
    overdue: bool
    # Whole days past the deadline, at least 1 when overdue (0 when not);
    # days left when still open and in time.
    days_overdue: int
    days_left: int


def response_deadline(submitted_at: datetime, response_days: int) -> datetime:
    return submitted_at + timedelta(days=response_days)


def response_clock(
    *,
    submitted_at: datetime,
    response_days: int,
    responded_at: datetime | None,
    now: datetime,
) -> ResponseClock:
    """Deadline and overdue state of a matter's first response.

    A matter answered in time is never overdue; one answered late stays overdue (the record shows
    it); an unanswered one becomes overdue the moment ``now`` passes the deadline.
    """
    deadline = response_deadline(submitted_at, response_days)
    reference = responded_at or now
    late = reference > deadline
    # Whole days late, at least 1: one minute late is 1 day, 2 days and an hour late is 2.
    days_overdue = max(1, (reference - deadline) // timedelta(days=1)) if late else 0
    days_left = 0 if (late or responded_at) else max(0, (deadline - now).days)
    return ResponseClock(deadline, late, days_overdue, days_left)


def age_days(submitted_at: datetime, now: datetime) -> int:
    """Whole days since submission (0 on the day itself)."""
    return max(0, (now - submitted_at).days)
