"""Counting a poll: pure functions, no database (see ``docs/counting.md``).

Input is plain data: a ``PollSpec`` (frozen at open), the frozen electorate as ``Voter``s and
the ``CastBallot``s. ``count(spec, voters, ballots)`` returns a ``Result`` whose
``to_dict()`` is what ``Poll.result`` stores and the result page, minutes and API show.

Arithmetic is integers and ``Fraction``s only; areas are ``Decimal`` with 0.01 m² and are
turned into ``Fraction`` exactly. Floats are refused.

Adapters for the stored forms used by ``votes.tally`` and ``votes.electorate``:
``count_frozen(spec=..., electorate=..., ballots=...)`` and
``owner_voters_frozen(units=..., owners=...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

# Public vocabulary (mirrors votes.models choices; no ORM import here).
KIND_OWNERS = "owners"
KIND_DELIBERATIVE = "deliberative"
METHODS = ("single", "approval", "yesno", "ranked")
RULES = ("plurality", "majority", "owners_ordinary", "owners_special")
VERDICTS = ("passed", "failed", "no_verdict", "undecided")
MEANINGS = ("yes", "no", "abstain")


class CountingError(ValueError):
    """The input is inconsistent (unknown voter, duplicate voter, bad choice, float area...).

    Counting refuses rather than guessing: a wrong count of an owners' decision is void.
    """


@dataclass(frozen=True)
class OptionSpec:
    """One option. ``meaning`` is ``yes``/``no``/``abstain`` for yes/no polls, else ``""``."""

    id: int
    label: str
    meaning: str = ""
    sort_order: int = 0


@dataclass(frozen=True)
class PollSpec:
    """The frozen rules of a poll.

    ``kind``: ``owners`` or ``deliberative``. ``method``: ``single``, ``approval``, ``yesno``,
    ``ranked``. ``rule``: ``plurality``, ``majority`` (``majority`` = (num, den), met when the
    approving share of participating headcount exceeds num/den, or reaches it when
    ``majority_inclusive``), ``owners_ordinary``, ``owners_special``. ``deem_nonvoters``:
    the community's "未参与表决视为同意多数" clause (``deem_clause`` cites it).
    """

    kind: str
    method: str
    rule: str
    options: tuple[OptionSpec, ...]
    majority: tuple[int, int] = (1, 2)
    majority_inclusive: bool = False
    deem_nonvoters: bool = False
    deem_clause: str = ""
    question: str = ""

    @classmethod
    def from_frozen(cls, spec: Mapping[str, Any]) -> PollSpec:
        """Build from ``Poll.frozen_spec`` (see ``votes.services.polls._spec_snapshot``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class UnitRecord:
    """A unit for ``build_owner_voters``: id, area (Decimal 0.01 m²), unsold flag, label."""

    id: int
    area: Decimal
    unsold: bool = False
    label: str = ""
    area_source: str = ""


@dataclass(frozen=True)
class Voter:
    """One member of the frozen electorate.

    ``headcount`` is 1 per owner identity (or per person); ``area`` is the exclusive area in m²
    (0.01 m², ``Decimal``), 0 outside owners' polls.
    """

    key: str
    headcount: int = 1
    area: Decimal = Decimal("0.00")
    label: str = ""
    user_ids: tuple[int, ...] = ()
    units: tuple[UnitRecord, ...] = ()


@dataclass(frozen=True)
class CastBallot:
    """A stored ballot. ``voter_key`` is ``None`` for secret polls.

    ``choice`` is ``{"choice": id}`` (single, yesno), ``{"choices": [ids]}`` (approval) or
    ``{"ranking": [ids]}`` (ranked). ``headcount``/``area`` are the voter's weights copied at
    casting; ``channel`` is ``online``, ``paper``, ``proxy``, ``in_person`` or ``""`` (secret).
    """

    voter_key: str | None
    choice: Mapping[str, Any]
    headcount: int = 1
    area: Decimal = Decimal("0.00")
    channel: str = ""
    seq: int = 0


@dataclass(frozen=True)
class Share:
    """An exact share with its display percent (one decimal, half up)."""

    value: Fraction | None

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class OptionCount:
    """Per option: ballots, headcount and area (first preferences for ranked polls)."""

    id: int
    label: str
    meaning: str
    ballots: int
    headcount: int
    area: Fraction
    share_headcount: Share
    share_area: Share
    adopted: bool = False


@dataclass(frozen=True)
class Threshold:
    """One requirement and whether it is met. ``text`` is the Chinese sentence shown."""

    key: str
    label: str
    met: bool
    text: str
    value: Fraction | None
    required: Fraction
    inclusive: bool
    option_id: int | None = None


@dataclass(frozen=True)
class Tally:
    """One count of the ballots (raw, or with non-voters deemed to side with the majority)."""

    options: tuple[OptionCount, ...]
    participating_ballots: int
    participating_headcount: int
    participating_area: Fraction
    thresholds: tuple[Threshold, ...]
    verdict: str
    reasons: tuple[str, ...]
    winners: tuple[int, ...]
    tie: tuple[int, ...] = ()


@dataclass(frozen=True)
class Round:
    """One instant run-off round: headcount per continuing option, exhausted, eliminated."""

    number: int
    counts: tuple[tuple[int, int], ...]
    exhausted_ballots: int
    exhausted_headcount: int
    eliminated: tuple[int, ...]


@dataclass(frozen=True)
class Result:
    """The outcome of ``count``; ``to_dict()`` is JSON-safe.

    ``raw`` counts the ballots as cast. ``deemed`` (only when the spec enables it) adds the
    non-voters to the majority side. ``decided_by`` says which of the two gives ``verdict``,
    ``reasons`` and ``winners``.
    """

    spec: PollSpec
    electorate_headcount: int
    electorate_area: Fraction
    raw: Tally
    deemed: Tally | None
    deemed_note: str
    by_channel: dict[str, int]
    rounds: tuple[Round, ...] = ()
    decided_by: str = "raw"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return (self.deemed if self.decided_by == "deemed" and self.deemed else self.raw).verdict

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


def count(
    spec: PollSpec,
    voters: Iterable[Voter],
    ballots: Iterable[CastBallot],
    *,
    totals: tuple[int, Decimal] | None = None,
) -> Result:
    """Count ``ballots`` against ``spec`` and the electorate ``voters``.

    Ht/At are the sums over ``voters`` (or ``totals`` when the voter list is not at hand, e.g.
    secret polls counted from totals; if both are given they must agree). Raises
    ``CountingError`` on inconsistent input: a ballot's voter outside the electorate, twice,
    or with other weights than the voter's; an unknown option; a malformed choice; a float.
    """
    raise NotImplementedError


def build_owner_voters(
    units: Iterable[UnitRecord], ownerships: Iterable[tuple[int, int]]
) -> list[Voter]:
    """Group units into owner voters (SPC interpretation arts. 8–9).

    ``ownerships`` are ``(unit_id, owner_id)`` pairs. Sold units sharing an owner, directly or
    through co-owners, form one voter (union-find): headcount 1, areas summed. A sold unit with
    no recorded owner is its own voter. All unsold units form one voter (the developer).
    Keys: ``u<smallest unit id>`` and ``dev``.
    """
    raise NotImplementedError


def owner_voters_frozen(
    *, units: Iterable[Any], owners: Mapping[int, Sequence[int]]
) -> list[dict[str, Any]]:
    """``build_owner_voters`` on unit objects (``pk``, ``area_m2``, ``unsold``, ``str()``) and
    ``{unit_id: [owner user ids]}``; returns the frozen JSON form
    ``{"key", "headcount", "area", "user_ids", "label", "units"}``."""
    raise NotImplementedError


def count_frozen(
    *,
    spec: Mapping[str, Any],
    electorate: Sequence[Mapping[str, Any]],
    ballots: Iterable[Sequence[Any]],
) -> Result:
    """Count from stored forms: ``Poll.frozen_spec``, ``Poll.frozen_electorate`` and ballot rows
    ``(seq, voter_key, choice, headcount, area, channel)``."""
    raise NotImplementedError
