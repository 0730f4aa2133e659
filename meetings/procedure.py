"""Rules of procedure (南塘议事规则), pure: no ORM. The services load, call these, and store.

- Speakers: those who have not yet spoken on the item go first, then the others, each group in
  the order they asked; a person may speak at most ``speeches_per_item`` times per item, each
  speech limited to ``speech_seconds`` (clients compute the remaining time from ``started_at``).
- Quorum: the share of the expected attendees present must reach the community's quorum share
  ("以上": the boundary counts), and the four parties are shown separately.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction


@dataclass(frozen=True)
class QueueEntry:
    request_id: int
    member_id: int
    requested_at: datetime


def speaker_order(waiting: Sequence[QueueEntry], spoken: Mapping[int, int]) -> list[QueueEntry]:
    """Order the waiting requests: first-time speakers on the item first, then by request time."""
    return sorted(
        waiting,
        key=lambda e: (spoken.get(e.member_id, 0) > 0, e.requested_at, e.request_id),
    )


def may_request_speech(*, spoken: int, limit: int) -> bool:
    """Whether a person who has spoken ``spoken`` times on the item may ask again."""
    return spoken < limit


def speech_ends_at(started_at: datetime, seconds: int) -> datetime:
    return started_at + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Quorum:
    expected: int
    present: int
    required: int
    met: bool
    parties_present: tuple[str, ...]
    all_parties: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "expected": self.expected,
            "present": self.present,
            "required": self.required,
            "met": self.met,
            "parties_present": list(self.parties_present),
            "all_parties": self.all_parties,
        }


def quorum_compute(
    *,
    expected: int,
    present: int,
    share: Fraction,
    parties_present: Iterable[str],
    parties: Sequence[str],
) -> Quorum:
    """Quorum of a meeting: ``present ≥ ⌈share·expected⌉`` with at least one person expected."""
    if expected < 0 or present < 0 or not (0 <= share <= 1):
        raise ValueError("expected, present must be non-negative and share within [0, 1]")
    required = math.ceil(share * expected)
    if expected and required == 0:
        required = 1
    here = tuple(p for p in parties if p in set(parties_present))
    return Quorum(
        expected=expected,
        present=present,
        required=required,
        met=expected > 0 and present >= required,
        parties_present=here,
        all_parties=len(here) == len(parties),
    )
