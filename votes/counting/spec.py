"""What counting takes in: the frozen rules, the electorate and the ballots, as plain data.

Also the checks every input goes through (integers, areas in whole 0.01 m²) and the one error
counting raises. No ORM: the vocabulary below mirrors the choices in ``votes.models``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Any

# Public vocabulary (mirrors votes.models choices; no ORM import here).
KIND_OWNERS = "owners"
KIND_DELIBERATIVE = "deliberative"
KINDS = (KIND_OWNERS, KIND_DELIBERATIVE)
METHODS = ("single", "approval", "yesno", "ranked")
RULES = ("plurality", "majority", "owners_ordinary", "owners_special")
OWNERS_RULES = ("owners_ordinary", "owners_special")
MEANINGS = ("yes", "no", "abstain")
# Rules under which taking part counts by itself: the art. 278 participation threshold, and a
# majority share of the participating ballots.
PARTICIPATION_RULES = ("majority", *OWNERS_RULES)


def accepts_blank(method: str, rule: str) -> bool:
    """Whether a blank ballot (one that supports no option) is accepted.

    Approval (``{"choices": []}``) and ranked (``{"ranking": []}``) always; single choice
    (``{"choice": None}``, 弃权) where the rule counts participation; yes/no never, since its
    own 弃权 option says it. A blank ballot takes part (Hp, Ap) and supports nothing.
    """
    if method in ("approval", "ranked"):
        return True
    return method == "single" and rule in PARTICIPATION_RULES


DEVELOPER_KEY = "dev"
COUNTING_VERSION = 1


class Verdict(StrEnum):
    """The outcome of a count on the merits; stored as its value in ``Poll.result``."""

    PASSED = "passed"
    FAILED = "failed"
    NO_VERDICT = "no_verdict"  # art. 278 participation not reached, or nobody took part
    UNDECIDED = "undecided"  # a tie the rule cannot break


class CountingError(ValueError):
    """The input is inconsistent (unknown voter, duplicate voter, bad choice, float area...).

    Counting refuses rather than guessing: a wrong count of an owners' decision is void.
    """


# --------------------------------------------------------------------------------------------
# Input dataclasses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionSpec:
    """One option. ``meaning`` is ``yes``/``no``/``abstain`` for yes/no polls, else ``""``.

    ``sort_order`` is the order shown on the ballot; results list options in that order.
    """

    id: int
    label: str
    meaning: str = ""
    sort_order: int = 0


@dataclass(frozen=True)
class PollSpec:
    """The frozen rules of a poll.

    ``kind``: ``owners`` or ``deliberative``. ``method``: ``single``, ``approval``, ``yesno``,
    ``ranked``. ``rule``: ``plurality``, ``majority`` (``majority`` = (num, den): met when the
    approving headcount's share of the participating headcount exceeds num/den, or reaches it
    when ``majority_inclusive``), ``owners_ordinary``, ``owners_special``.
    ``deem_nonvoters``: the community's "未参与表决视为同意多数" clause, cited in
    ``deem_clause``; when on, the result carries a raw and a deemed tally and the deemed one
    decides.
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
        raw_options = spec.get("options")
        if raw_options is None:
            raw_options = [{"id": i, "label": ""} for i in spec.get("option_ids", [])]
        options = tuple(
            OptionSpec(
                id=checked_int(o["id"], "option id"),
                label=str(o.get("label", "")),
                meaning=str(o.get("meaning") or ""),
                sort_order=checked_int(o.get("sort_order", index), "sort order"),
            )
            for index, o in enumerate(raw_options)
        )
        num, den = spec.get("majority") or (1, 2)
        return cls(
            kind=str(spec.get("kind", "")),
            method=str(spec.get("method", "")),
            rule=str(spec.get("rule", "")),
            options=options,
            majority=(checked_int(num, "majority"), checked_int(den, "majority")),
            majority_inclusive=bool(spec.get("majority_inclusive", False)),
            deem_nonvoters=bool(spec.get("deem_nonvoters_majority", False)),
            deem_clause=str(spec.get("deem_nonvoters_clause") or ""),
            question=str(spec.get("question") or ""),
        )

    @property
    def required_share(self) -> Fraction:
        return Fraction(self.majority[0], self.majority[1])


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

    ``choice`` is ``{"choice": id}`` (single, yesno; ``{"choice": None}`` is a blank single
    choice, see ``accepts_blank``), ``{"choices": [ids]}`` (approval, an
    empty list is a blank ballot that takes part) or ``{"ranking": [ids]}`` (ranked, best
    first, may be partial). ``headcount``/``area`` are the voter's weights copied at casting;
    ``channel`` is ``online``, ``paper``, ``proxy``, ``in_person`` or ``""`` (secret).
    """

    voter_key: str | None
    choice: Mapping[str, Any]
    headcount: int = 1
    area: Decimal = Decimal("0.00")
    channel: str = ""
    seq: int = 0


# --------------------------------------------------------------------------------------------
# Checks on plain input
# --------------------------------------------------------------------------------------------


def checked_int(value: Any, what: str) -> int:
    """``value`` if it is an ``int`` (not a bool); else ``CountingError`` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise CountingError(f"{what} must be an integer, got {value!r}")
    return value


def to_cents(value: Any) -> int:
    """An area (Decimal, str, int, Fraction) in m² as whole 0.01 m² units.

    Refuses floats, negative areas and areas finer than 0.01 m² (``CountingError``). Counting
    adds areas as these integers; shares are ``Fraction``s of them.
    """
    if isinstance(value, bool | float):
        raise CountingError(f"area must be a Decimal or a string, never a float: {value!r}")
    if isinstance(value, Fraction):
        scaled = value * 100
        if scaled.denominator != 1:
            raise CountingError(f"area {value!r} is not a multiple of 0.01 m²")
        cents = scaled.numerator
    else:
        try:
            dec = value if isinstance(value, Decimal) else Decimal(str(value))
        except (InvalidOperation, ValueError) as exc:
            raise CountingError(f"area {value!r} is not a number") from exc
        if not dec.is_finite():
            raise CountingError(f"area {value!r} is not finite")
        shifted = dec.scaleb(2)
        if shifted != shifted.to_integral_value():
            raise CountingError(f"area {value!r} is not a multiple of 0.01 m²")
        cents = int(shifted)
    if cents < 0:
        raise CountingError(f"area {value!r} is negative")
    return cents


def to_area(value: Any) -> Fraction:
    """An area (Decimal, str, int) as an exact ``Fraction`` of m²; see ``to_cents``."""
    return Fraction(to_cents(value), 100)


def cents_of(area: Fraction) -> int:
    """An area already counted (a ``Fraction`` of whole 0.01 m²) back in 0.01 m² units."""
    scaled = area * 100
    assert scaled.denominator == 1
    return scaled.numerator


def ordered_options(options: Iterable[OptionSpec]) -> list[OptionSpec]:
    """Options in ballot order (``sort_order``, then id)."""
    return sorted(options, key=lambda o: (o.sort_order, o.id))


@dataclass(frozen=True)
class Entry:
    """A ballot as counting adds it up: the options it names and the voter's weights."""

    selection: tuple[int, ...]
    headcount: int
    cents: int  # area in 0.01 m²
    ballots: int = 1  # 0 for the deemed non-voters' entry
