"""Counting a poll: pure functions, no database (the rules are in ``docs/counting.md``).

Input is plain data: a ``PollSpec`` (frozen at open), the frozen electorate as ``Voter``s and
the ``CastBallot``s. ``count(spec, voters, ballots)`` returns a ``Result`` whose
``to_dict()`` is what ``Poll.result`` stores and the result page, minutes and API show.

Arithmetic is integers and ``Fraction``s only; areas are ``Decimal`` multiples of 0.01 m² and
are turned into ``Fraction`` exactly. Floats are refused with ``CountingError``.

Adapters for the stored forms used by ``votes.tally`` and ``votes.electorate``:
``count_frozen(spec=..., electorate=..., ballots=...)`` and
``owner_voters_frozen(units=..., owners=...)``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

# Public vocabulary (mirrors votes.models choices; no ORM import here).
KIND_OWNERS = "owners"
KIND_DELIBERATIVE = "deliberative"
KINDS = (KIND_OWNERS, KIND_DELIBERATIVE)
METHODS = ("single", "approval", "yesno", "ranked")
RULES = ("plurality", "majority", "owners_ordinary", "owners_special")
OWNERS_RULES = ("owners_ordinary", "owners_special")
VERDICTS = ("passed", "failed", "no_verdict", "undecided")
MEANINGS = ("yes", "no", "abstain")
DEVELOPER_KEY = "dev"
COUNTING_VERSION = 1

PARTICIPATION = Fraction(2, 3)  # 民法典 art. 278 ¶2: 三分之二以上 (inclusive, art. 1259)
SPECIAL = Fraction(3, 4)  # 四分之三以上 (inclusive)
ORDINARY = Fraction(1, 2)  # 过半数 (strict, art. 1259)

_CENT = Decimal("0.01")


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
                id=_int(o["id"], "option id"),
                label=str(o.get("label", "")),
                meaning=str(o.get("meaning") or ""),
                sort_order=_int(o.get("sort_order", index), "sort order"),
            )
            for index, o in enumerate(raw_options)
        )
        num, den = spec.get("majority") or (1, 2)
        return cls(
            kind=str(spec.get("kind", "")),
            method=str(spec.get("method", "")),
            rule=str(spec.get("rule", "")),
            options=options,
            majority=(_int(num, "majority"), _int(den, "majority")),
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

    ``choice`` is ``{"choice": id}`` (single, yesno), ``{"choices": [ids]}`` (approval, an
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
# Output dataclasses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """An exact share with its display percent (one decimal, half up); ``None`` if 0/0."""

    value: Fraction | None

    def to_dict(self) -> dict[str, Any]:
        if self.value is None:
            return {"fraction": None, "percent": None}
        return {"fraction": fraction_str(self.value), "percent": percent_str(self.value)}


@dataclass(frozen=True)
class OptionCount:
    """Per option: ballots, headcount and area (first preferences for ranked polls).

    Shares are of the participating headcount and area. ``adopted``: the option meets the
    rule on its own (owners' and majority rules) or is the winner (plurality, run-off).
    """

    id: int
    label: str
    meaning: str
    ballots: int
    headcount: int
    area: Fraction
    share_headcount: Share
    share_area: Share
    adopted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "meaning": self.meaning,
            "ballots": self.ballots,
            "headcount": self.headcount,
            "area": area_str(self.area),
            "share_headcount": self.share_headcount.to_dict(),
            "share_area": self.share_area.to_dict(),
            "adopted": self.adopted,
        }


@dataclass(frozen=True)
class Threshold:
    """One requirement and whether it is met. ``text`` is the sentence shown (Chinese msgid).

    ``value`` is the exact share reached (``None`` when its denominator is 0), ``required``
    the share needed, ``inclusive`` whether reaching it exactly is enough.
    """

    key: str
    label: str
    met: bool
    text: str
    value: Fraction | None
    required: Fraction
    inclusive: bool
    option_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "met": self.met,
            "text": self.text,
            "value": fraction_str(self.value) if self.value is not None else None,
            "required": fraction_str(self.required),
            "inclusive": self.inclusive,
            "option_id": self.option_id,
        }


@dataclass(frozen=True)
class Tally:
    """One count of the ballots (raw, or with non-voters deemed to side with the majority)."""

    options: tuple[OptionCount, ...]
    participating_ballots: int
    participating_headcount: int
    participating_area: Fraction
    share_headcount: Share
    share_area: Share
    thresholds: tuple[Threshold, ...]
    verdict: str
    reasons: tuple[str, ...]
    winners: tuple[int, ...]
    tie: tuple[int, ...] = ()

    def option(self, option_id: int) -> OptionCount:
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "participating": {
                "ballots": self.participating_ballots,
                "headcount": self.participating_headcount,
                "area": area_str(self.participating_area),
                "share_headcount": self.share_headcount.to_dict(),
                "share_area": self.share_area.to_dict(),
            },
            "options": [o.to_dict() for o in self.options],
            "thresholds": [t.to_dict() for t in self.thresholds],
            "verdict": self.verdict,
            "verdict_label": verdict_label(self.verdict),
            "reasons": list(self.reasons),
            "winners": list(self.winners),
            "tie": list(self.tie),
        }


@dataclass(frozen=True)
class Round:
    """One instant run-off round: headcount per continuing option, exhausted, eliminated."""

    number: int
    counts: tuple[tuple[int, int], ...]
    exhausted_ballots: int
    exhausted_headcount: int
    eliminated: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "counts": [{"id": i, "headcount": h} for i, h in self.counts],
            "exhausted_ballots": self.exhausted_ballots,
            "exhausted_headcount": self.exhausted_headcount,
            "eliminated": list(self.eliminated),
        }


@dataclass(frozen=True)
class Result:
    """The outcome of ``count``; ``to_dict()`` is JSON-safe.

    ``raw`` counts the ballots as cast. ``deemed`` (only when the spec enables it, and never
    for ranked polls) adds the non-voters' headcount and area to the majority option
    (``deemed_majority``, ``None`` when there is no clear majority). ``decided_by`` says which
    tally gives ``verdict``, ``reasons`` and ``winners``.
    """

    spec: PollSpec
    electorate_headcount: int
    electorate_area: Fraction
    raw: Tally
    deemed: Tally | None
    by_channel: dict[str, int]
    rounds: tuple[Round, ...] = ()
    decided_by: str = "raw"
    deemed_majority: int | None = None
    deemed_note: str = ""
    nonvoters_headcount: int = 0
    nonvoters_area: Fraction = Fraction(0)

    @property
    def deciding(self) -> Tally:
        return self.deemed if self.decided_by == "deemed" and self.deemed else self.raw

    @property
    def verdict(self) -> str:
        return self.deciding.verdict

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.deciding.reasons

    @property
    def winners(self) -> tuple[int, ...]:
        return self.deciding.winners

    @property
    def tie(self) -> tuple[int, ...]:
        return self.deciding.tie

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ints, strings ("n/d" fractions, "1234.50" areas), bools, lists, None.

        Top level: ``options``, ``participating`` and ``thresholds`` are the raw tally (the
        ballots actually cast); ``verdict``, ``reasons``, ``winners``, ``tie`` come from the
        deciding tally (``decided_by``); ``raw`` and ``deemed`` hold both tallies in full.
        """
        spec = self.spec
        raw = self.raw.to_dict()
        deciding = self.deciding
        data: dict[str, Any] = {
            "counting_version": COUNTING_VERSION,
            "kind": spec.kind,
            "method": spec.method,
            "rule": spec.rule,
            "majority": fraction_str(spec.required_share) if spec.rule == "majority" else None,
            "majority_inclusive": spec.majority_inclusive if spec.rule == "majority" else None,
            "question": spec.question,
            "electorate": {
                "headcount": self.electorate_headcount,
                "area": area_str(self.electorate_area),
            },
            "participating": raw["participating"],
            "options": raw["options"],
            "thresholds": raw["thresholds"],
            "verdict": deciding.verdict,
            "verdict_label": verdict_label(deciding.verdict),
            "reasons": list(deciding.reasons),
            "winners": list(deciding.winners),
            "tie": list(deciding.tie),
            "decided_by": self.decided_by,
            "raw": raw,
            "deemed": None,
            "by_channel": dict(sorted(self.by_channel.items())),
            "ranked": None,
        }
        if self.deemed is not None:
            deemed = self.deemed.to_dict()
            deemed.update(
                {
                    "clause": spec.deem_clause,
                    "note": self.deemed_note,
                    "majority_option": self.deemed_majority,
                    "nonvoters": {
                        "headcount": self.nonvoters_headcount,
                        "area": area_str(self.nonvoters_area),
                    },
                }
            )
            data["deemed"] = deemed
        if spec.method == "ranked":
            last = self.rounds[-1] if self.rounds else None
            data["ranked"] = {
                "rounds": [r.to_dict() for r in self.rounds],
                "exhausted_ballots": last.exhausted_ballots if last else 0,
                "exhausted_headcount": last.exhausted_headcount if last else 0,
            }
        return data


# --------------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------------


def fraction_str(value: Fraction) -> str:
    """Always ``"n/d"`` (``"1/1"`` for one, ``"0/1"`` for zero)."""
    return f"{value.numerator}/{value.denominator}"


def _round_half_up(value: Fraction, decimals: int) -> int:
    scale = 10**decimals
    return math.floor(value * 100 * scale + Fraction(1, 2))


def percent_str(value: Fraction, decimals: int = 1) -> str:
    """``value`` as a percent with ``decimals`` decimals, rounded half up: 2/3 → "66.7"."""
    scaled = _round_half_up(value, decimals)
    if decimals == 0:
        return str(scaled)
    whole, frac = divmod(scaled, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def honest_percent(value: Fraction, required: Fraction, *, met: bool, inclusive: bool) -> str:
    """A percent that never contradicts the comparison it illustrates.

    One decimal, unless rounding would put the shown number on the wrong side of the
    threshold (66.66...% just below 2/3 would show as "66.7%"): then as many decimals as
    needed (up to 12, else the exact fraction).
    """
    req = required * 100
    for decimals in range(1, 13):
        shown = Fraction(_round_half_up(value, decimals), 10**decimals)
        if met:
            ok = shown >= req if inclusive else shown > req
        else:
            ok = shown < req if inclusive else shown <= req
        if ok:
            return percent_str(value, decimals)
    return fraction_str(value * 100)


def area_str(value: Fraction | Decimal) -> str:
    """An area (a multiple of 0.01 m²) as ``"1234.50"``."""
    cents = Fraction(value) * 100
    if cents.denominator != 1:  # pragma: no cover - areas are validated as 0.01 multiples
        raise CountingError(f"area {value} is not a multiple of 0.01")
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents.numerator), 100)
    return f"{sign}{whole}.{frac:02d}"


def verdict_label(verdict: str) -> str:
    return {
        "passed": _("通过"),
        "failed": _("未通过"),
        "no_verdict": _("未形成表决结论"),
        "undecided": _("票数相同，未能决定"),
    }.get(verdict, verdict)


def _op(met: bool, inclusive: bool) -> str:
    if inclusive:
        return "≥" if met else "<"
    return ">" if met else "≤"


def _threshold(
    *,
    key: str,
    label: str,
    part: int,
    whole: int,
    required: Fraction,
    inclusive: bool,
    area: bool,
    option_id: int | None = None,
) -> Threshold:
    """Compare ``part/whole`` with ``required`` in integers: ``den·part ≥/> num·whole``."""
    left = required.denominator * part
    right = required.numerator * whole
    met = left >= right if inclusive else left > right
    value = Fraction(part, whole) if whole else None
    if area:  # part and whole in 0.01 m²
        part_s, whole_s = area_str(Fraction(part, 100)), area_str(Fraction(whole, 100))
        unit = "㎡"
    else:
        part_s, whole_s, unit = str(part), str(whole), ""
    if value is None:
        text = _("%(label)s %(part)s/%(whole)s%(unit)s %(op)s %(required)s") % {
            "label": label,
            "part": part_s,
            "whole": whole_s,
            "unit": unit,
            "op": _op(met, inclusive),
            "required": fraction_str(required),
        }
    else:
        text = _("%(label)s %(part)s/%(whole)s%(unit)s = %(percent)s%% %(op)s %(required)s") % {
            "label": label,
            "part": part_s,
            "whole": whole_s,
            "unit": unit,
            "percent": honest_percent(value, required, met=met, inclusive=inclusive),
            "op": _op(met, inclusive),
            "required": fraction_str(required),
        }
    return Threshold(
        key=key,
        label=label,
        met=met,
        text=text,
        value=value,
        required=required,
        inclusive=inclusive,
        option_id=option_id,
    )


# --------------------------------------------------------------------------------------------
# Validation of plain input
# --------------------------------------------------------------------------------------------


def _int(value: Any, what: str) -> int:
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


def _validate_spec(spec: PollSpec) -> None:
    if spec.kind not in KINDS:
        raise CountingError(f"unknown kind {spec.kind!r}")
    if spec.method not in METHODS:
        raise CountingError(f"unknown method {spec.method!r}")
    if spec.rule not in RULES:
        raise CountingError(f"unknown rule {spec.rule!r}")
    if (spec.kind == KIND_OWNERS) != (spec.rule in OWNERS_RULES):
        raise CountingError("owners' decisions use exactly the art 278 rules")
    if spec.rule in OWNERS_RULES and spec.method == "ranked":
        raise CountingError("owners' decisions cannot be ranked")
    if spec.rule == "majority":
        num, den = spec.majority
        if not (0 < num < den):
            raise CountingError(f"majority share {num}/{den} must lie strictly between 0 and 1")
    ids = [o.id for o in spec.options]
    if len(ids) < 2 or len(set(ids)) != len(ids):
        raise CountingError("a poll needs at least two options with distinct ids")
    if spec.method == "yesno":
        meanings = [o.meaning for o in spec.options]
        if meanings.count("yes") != 1 or meanings.count("no") != 1:
            raise CountingError("a yes/no poll needs exactly one 'yes' and one 'no' option")
        if any(m not in MEANINGS for m in meanings) or meanings.count("abstain") > 1:
            raise CountingError("yes/no options mean yes, no or abstain, each once")


def _selection(spec: PollSpec, choice: Mapping[str, Any], option_ids: set[int]) -> tuple[int, ...]:
    """The option ids a ballot names: one for single/yesno, a set for approval, a ranking."""
    if not isinstance(choice, Mapping):
        raise CountingError(f"choice {choice!r} is not a mapping")
    if spec.method in ("single", "yesno"):
        if set(choice) != {"choice"}:
            raise CountingError(f"choice {choice!r} must be {{'choice': id}}")
        picked = [_int(choice["choice"], "option id")]
    else:
        key = "choices" if spec.method == "approval" else "ranking"
        if set(choice) != {key} or not isinstance(choice[key], list | tuple):
            raise CountingError(f"choice {choice!r} must be {{{key!r}: [ids]}}")
        picked = [_int(i, "option id") for i in choice[key]]
        if len(set(picked)) != len(picked):
            raise CountingError(f"choice {choice!r} names an option twice")
    unknown = [i for i in picked if i not in option_ids]
    if unknown:
        raise CountingError(f"choice {choice!r} names options outside the poll: {unknown}")
    if spec.method == "approval":
        return tuple(sorted(picked))
    return tuple(picked)


# --------------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    selection: tuple[int, ...]
    headcount: int
    cents: int  # area in 0.01 m²
    ballots: int = 1  # 0 for the deemed non-voters' entry


def count(
    spec: PollSpec,
    voters: Iterable[Voter],
    ballots: Iterable[CastBallot],
    *,
    totals: tuple[int, Decimal] | None = None,
) -> Result:
    """Count ``ballots`` against ``spec`` and the electorate ``voters``.

    Ht/At are the sums over ``voters`` (or ``totals`` when the voter list is not at hand; if
    both are given they must agree). Raises ``CountingError`` on inconsistent input: a
    ballot's voter outside the electorate, twice, or with other weights than the voter's; an
    unknown option; a malformed choice; a float; participation above the electorate.
    """
    _validate_spec(spec)
    voter_map: dict[str, tuple[int, int]] = {}
    ht, at = 0, 0  # headcount, area in 0.01 m²
    for voter in voters:
        if not isinstance(voter.key, str) or not voter.key:
            raise CountingError(f"voter key {voter.key!r} must be a non-empty string")
        if voter.key in voter_map:
            raise CountingError(f"voter {voter.key!r} appears twice in the electorate")
        weight = (_int(voter.headcount, "headcount"), to_cents(voter.area))
        if weight[0] < 1:
            raise CountingError(f"voter {voter.key!r} has headcount {weight[0]}")
        voter_map[voter.key] = weight
        ht += weight[0]
        at += weight[1]
    if totals is not None:
        t_h, t_a = _int(totals[0], "total headcount"), to_cents(totals[1])
        if voter_map and (t_h, t_a) != (ht, at):
            raise CountingError(f"totals {totals} differ from the electorate's ({ht}, {at})")
        ht, at = t_h, t_a
    if spec.kind == KIND_OWNERS and ht == 0:
        raise CountingError("an owners' decision needs a non-empty electorate")

    option_ids = {o.id for o in spec.options}
    entries: list[_Entry] = []
    seen: set[str] = set()
    channels: Counter[str] = Counter()
    for ballot in ballots:
        headcount = _int(ballot.headcount, "ballot headcount")
        area = to_cents(ballot.area)
        if headcount < 1:
            raise CountingError(f"ballot {ballot.seq} has headcount {headcount}")
        if ballot.voter_key is not None:
            if ballot.voter_key in seen:
                raise CountingError(f"voter {ballot.voter_key!r} has two ballots")
            seen.add(ballot.voter_key)
            if voter_map or totals is None:
                if ballot.voter_key not in voter_map:
                    raise CountingError(f"ballot {ballot.seq}: voter outside the electorate")
                if voter_map[ballot.voter_key] != (headcount, area):
                    raise CountingError(f"ballot {ballot.seq}: weights differ from the voter's")
        entries.append(_Entry(_selection(spec, ballot.choice, option_ids), headcount, area))
        if ballot.channel:
            channels[ballot.channel] += 1
    hp = sum(e.headcount for e in entries)
    ap = sum(e.cents for e in entries)
    if hp > ht or ap > at:
        raise CountingError(f"participation ({hp}, {ap}) exceeds the electorate ({ht}, {at})")

    rounds: tuple[Round, ...] = ()
    if spec.method == "ranked":
        rounds, ranked_outcome = instant_runoff(
            spec.options, entries, to_the_end=spec.rule == "majority"
        )
        raw = _tally(spec, ht, at, entries, ranked=ranked_outcome)
    else:
        raw = _tally(spec, ht, at, entries)

    result = Result(
        spec=spec,
        electorate_headcount=ht,
        electorate_area=Fraction(at, 100),
        raw=raw,
        deemed=None,
        by_channel=dict(channels),
        rounds=rounds,
    )
    if spec.deem_nonvoters and spec.method != "ranked":
        result = _with_deemed(result, entries, at)
    return result


def _option_counts(
    spec: PollSpec, entries: Sequence[_Entry], hp: int, ap: int, adopted: set[int]
) -> tuple[OptionCount, ...]:
    totals = {o.id: [0, 0, 0] for o in spec.options}
    for entry in entries:
        picked = entry.selection[:1] if spec.method == "ranked" else entry.selection
        for option_id in picked:
            row = totals[option_id]
            row[0] += entry.ballots
            row[1] += entry.headcount
            row[2] += entry.cents
    return tuple(
        OptionCount(
            id=o.id,
            label=o.label,
            meaning=o.meaning,
            ballots=totals[o.id][0],
            headcount=totals[o.id][1],
            area=Fraction(totals[o.id][2], 100),
            share_headcount=Share(Fraction(totals[o.id][1], hp) if hp else None),
            share_area=Share(Fraction(totals[o.id][2], ap) if ap else None),
            adopted=o.id in adopted,
        )
        for o in _ordered(spec.options)
    )


def _cents_of(area: Fraction) -> int:
    scaled = area * 100
    assert scaled.denominator == 1
    return scaled.numerator


def _ordered(options: Iterable[OptionSpec]) -> list[OptionSpec]:
    return sorted(options, key=lambda o: (o.sort_order, o.id))


@dataclass(frozen=True)
class RankedOutcome:
    """The run-off's end: a single winner, a tie between the last candidates, or nothing."""

    winner: int | None
    tie: tuple[int, ...]
    final_headcount: int  # the winner's headcount in the last round (0 without a winner)


def _tally(
    spec: PollSpec,
    ht: int,
    at: int,
    entries: Sequence[_Entry],
    *,
    ranked: RankedOutcome | None = None,
) -> Tally:
    hp = sum(e.headcount for e in entries)
    ap = sum(e.cents for e in entries)
    n_ballots = sum(e.ballots for e in entries)
    preliminary = _option_counts(spec, entries, hp, ap, set())
    by_id = {o.id: o for o in preliminary}
    labels = {o.id: o.label for o in spec.options}
    thresholds: list[Threshold] = []
    reasons: list[str] = []
    adopted: set[int] = set()
    winners: tuple[int, ...] = ()
    tie: tuple[int, ...] = ()

    if spec.rule in OWNERS_RULES:
        verdict, winners, tie, adopted = _owners(
            spec, ht, at, hp, ap, by_id, labels, thresholds, reasons
        )
    elif hp == 0:
        verdict = "no_verdict"
        reasons.append(_("无人参与表决，未形成表决结论"))
    elif spec.method == "ranked":
        assert ranked is not None
        verdict, winners, tie, adopted = _ranked_rule(spec, hp, ranked, labels, thresholds, reasons)
    elif spec.rule == "majority":
        verdict, winners, tie, adopted = _majority(spec, hp, by_id, labels, thresholds, reasons)
    else:
        verdict, winners, tie, adopted = _plurality(spec, by_id, labels, thresholds, reasons)

    return Tally(
        options=_option_counts(spec, entries, hp, ap, adopted),
        participating_ballots=n_ballots,
        participating_headcount=hp,
        participating_area=Fraction(ap, 100),
        share_headcount=Share(Fraction(hp, ht) if ht else None),
        share_area=Share(Fraction(ap, at) if at else None),
        thresholds=tuple(thresholds),
        verdict=verdict,
        reasons=tuple(reasons),
        winners=winners,
        tie=tie,
    )


Outcome = tuple[str, tuple[int, ...], tuple[int, ...], set[int]]


def _yes_id(spec: PollSpec) -> int:
    return next(o.id for o in spec.options if o.meaning == "yes")


def _pick_among_adopted(
    adopted: set[int], by_id: Mapping[int, OptionCount], labels: Mapping[int, str], reasons: list
) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """Several options met the rule on their own: the most headcount, then area, wins."""
    best = max((by_id[i].headcount, by_id[i].area) for i in adopted)
    leaders = [i for i in by_id if i in adopted and (by_id[i].headcount, by_id[i].area) == best]
    if len(leaders) == 1:
        reasons.append(
            _("多个选项达到要求，「%(option)s」人数最多(人数相同时比较面积)，采用该选项")
            % {"option": labels[leaders[0]]}
        )
        return "passed", (leaders[0],), ()
    reasons.append(
        _("多个选项达到要求且人数、面积均相同：%(options)s，未能决定")
        % {"options": "、".join(f"「{labels[i]}」" for i in leaders)}
    )
    return "undecided", (), tuple(leaders)


def _owners(
    spec: PollSpec,
    ht: int,
    at: int,
    hp: int,
    ap: int,
    by_id: Mapping[int, OptionCount],
    labels: Mapping[int, str],
    thresholds: list[Threshold],
    reasons: list[str],
) -> Outcome:
    """民法典 art. 278: double 2/3 participation, then double 3/4 or double >1/2 approval."""
    part_h = _threshold(
        key="participation_headcount",
        label=_("参与表决人数"),
        part=hp,
        whole=ht,
        required=PARTICIPATION,
        inclusive=True,
        area=False,
    )
    part_a = _threshold(
        key="participation_area",
        label=_("参与表决面积"),
        part=ap,
        whole=at,
        required=PARTICIPATION,
        inclusive=True,
        area=True,
    )
    thresholds += [part_h, part_a]
    reasons += [part_h.text, part_a.text]
    if not (part_h.met and part_a.met):
        reasons.append(_("未达参与表决要求(人数和面积均须达到三分之二以上)，不对表决事项作出决定"))
        return "no_verdict", (), (), set()
    special = spec.rule == "owners_special"
    required = SPECIAL if special else ORDINARY
    candidates = [_yes_id(spec)] if spec.method == "yesno" else [o.id for o in by_id.values()]
    adopted: set[int] = set()
    for option_id in candidates:
        suffix = "" if spec.method == "yesno" else f"({labels[option_id]})"
        th_h = _threshold(
            key="approval_headcount",
            label=_("同意人数") + suffix,
            part=by_id[option_id].headcount,
            whole=hp,
            required=required,
            inclusive=special,
            area=False,
            option_id=option_id,
        )
        th_a = _threshold(
            key="approval_area",
            label=_("同意面积") + suffix,
            part=_cents_of(by_id[option_id].area),
            whole=ap,
            required=required,
            inclusive=special,
            area=True,
            option_id=option_id,
        )
        thresholds += [th_h, th_a]
        reasons += [th_h.text, th_a.text]
        if th_h.met and th_a.met:
            adopted.add(option_id)
    need = (
        _("须参与表决人数和面积均四分之三以上同意")
        if special
        else _("须参与表决人数和面积均过半数同意")
    )
    if spec.method == "yesno":
        if adopted:
            reasons.append(_("表决通过(%(need)s)") % {"need": need})
            return "passed", tuple(adopted), (), adopted
        reasons.append(_("未获通过(%(need)s)") % {"need": need})
        return "failed", (), (), adopted
    if not adopted:
        reasons.append(_("没有选项同时达到同意人数和同意面积的要求(%(need)s)") % {"need": need})
        return "failed", (), (), adopted
    if len(adopted) == 1:
        (only,) = adopted
        reasons.append(
            _("「%(option)s」获得通过(%(need)s)") % {"option": labels[only], "need": need}
        )
        return "passed", (only,), (), adopted
    verdict, winners, tie = _pick_among_adopted(adopted, by_id, labels, reasons)
    return verdict, winners, tie, adopted


def _majority(
    spec: PollSpec,
    hp: int,
    by_id: Mapping[int, OptionCount],
    labels: Mapping[int, str],
    thresholds: list[Threshold],
    reasons: list[str],
) -> Outcome:
    """A configured share of the participating headcount (abstentions take part)."""
    required = spec.required_share
    candidates = [_yes_id(spec)] if spec.method == "yesno" else [o.id for o in by_id.values()]
    adopted: set[int] = set()
    for option_id in candidates:
        label = (
            _("赞成票")
            if spec.method == "yesno"
            else _("「%(option)s」得票") % {"option": labels[option_id]}
        )
        th = _threshold(
            key="majority",
            label=label,
            part=by_id[option_id].headcount,
            whole=hp,
            required=required,
            inclusive=spec.majority_inclusive,
            area=False,
            option_id=option_id,
        )
        thresholds.append(th)
        reasons.append(th.text)
        if th.met:
            adopted.add(option_id)
    if spec.method == "yesno":
        if adopted:
            reasons.append(_("表决通过"))
            return "passed", tuple(adopted), (), adopted
        reasons.append(_("未获通过"))
        return "failed", (), (), adopted
    if not adopted:
        reasons.append(_("没有选项达到规定的多数"))
        return "failed", (), (), adopted
    if len(adopted) == 1:
        (only,) = adopted
        reasons.append(_("「%(option)s」获得通过") % {"option": labels[only]})
        return "passed", (only,), (), adopted
    verdict, winners, tie = _pick_among_adopted(adopted, by_id, labels, reasons)
    return verdict, winners, tie, adopted


def _plurality(
    spec: PollSpec,
    by_id: Mapping[int, OptionCount],
    labels: Mapping[int, str],
    thresholds: list[Threshold],
    reasons: list[str],
) -> Outcome:
    """Most headcount wins; for yes/no, for must outnumber against (a tie fails)."""
    if spec.method == "yesno":
        yes = by_id[_yes_id(spec)].headcount
        no_id = next(o.id for o in spec.options if o.meaning == "no")
        no = by_id[no_id].headcount
        met = yes > no
        text = _("赞成 %(yes)s %(op)s 反对 %(no)s") % {
            "yes": yes,
            "no": no,
            "op": ">" if met else ("=" if yes == no else "<"),
        }
        thresholds.append(
            Threshold(
                key="plurality",
                label=_("赞成多于反对"),
                met=met,
                text=text,
                value=Fraction(yes, yes + no) if yes + no else None,
                required=ORDINARY,
                inclusive=False,
                option_id=_yes_id(spec),
            )
        )
        reasons.append(text)
        if met:
            reasons.append(_("赞成多于反对，表决通过"))
            return "passed", (_yes_id(spec),), (), {_yes_id(spec)}
        reasons.append(_("赞成未多于反对，未获通过"))
        return "failed", (), (), set()
    best = max(o.headcount for o in by_id.values())
    if best == 0:
        reasons.append(_("没有选项得票，未形成表决结论"))
        return "no_verdict", (), (), set()
    leaders = [i for i, o in by_id.items() if o.headcount == best]
    names = "、".join(f"「{labels[i]}」" for i in leaders)
    if len(leaders) == 1:
        text = _("%(options)s得票最多(%(count)s 票)") % {"options": names, "count": best}
        thresholds.append(
            Threshold("plurality", _("得票最多"), True, text, None, Fraction(0), False, leaders[0])
        )
        reasons.append(text)
        return "passed", (leaders[0],), (), {leaders[0]}
    text = _("%(options)s并列得票最多(各 %(count)s 票)，未能决定") % {
        "options": names,
        "count": best,
    }
    thresholds.append(Threshold("plurality", _("得票最多"), False, text, None, Fraction(0), False))
    reasons.append(text)
    return "undecided", (), tuple(leaders), set()


def _ranked_rule(
    spec: PollSpec,
    hp: int,
    outcome: RankedOutcome,
    labels: Mapping[int, str],
    thresholds: list[Threshold],
    reasons: list[str],
) -> Outcome:
    if outcome.winner is None and outcome.tie:
        names = "、".join(f"「{labels[i]}」" for i in outcome.tie)
        reasons.append(_("即时决选中%(options)s在各轮得票均相同，未能决定") % {"options": names})
        return "undecided", (), outcome.tie, set()
    if outcome.winner is None:
        reasons.append(_("所有选票均未排列任何选项，未形成表决结论"))
        return "no_verdict", (), (), set()
    winner = outcome.winner
    reasons.append(
        _("即时决选：「%(option)s」在最后一轮获得 %(count)s 票，超过继续有效票的半数")
        % {"option": labels[winner], "count": outcome.final_headcount}
    )
    if spec.rule == "majority":
        th = _threshold(
            key="majority",
            label=_("「%(option)s」最后一轮得票") % {"option": labels[winner]},
            part=outcome.final_headcount,
            whole=hp,
            required=spec.required_share,
            inclusive=spec.majority_inclusive,
            area=False,
            option_id=winner,
        )
        thresholds.append(th)
        reasons.append(th.text)
        if not th.met:
            reasons.append(_("决选胜出的选项未达到规定的多数(以全部参与表决票计)，未获通过"))
            return "failed", (), (), set()
    reasons.append(_("「%(option)s」获得通过") % {"option": labels[winner]})
    return "passed", (winner,), (), {winner}


def instant_runoff(
    options: Sequence[OptionSpec], entries: Sequence[_Entry], *, to_the_end: bool = False
) -> tuple[tuple[Round, ...], RankedOutcome]:
    """Instant run-off by headcount; see ``docs/counting.md`` for the tie-break.

    Each round counts every ballot for its highest-ranked continuing option; ballots with none
    left are exhausted. An option with more than half of the continuing headcount wins.
    Otherwise the options with the fewest are eliminated: among several, the one with fewer in
    the most recent earlier round where they differ; still tied after every earlier round, all
    of them are eliminated together, never by list order. If that would eliminate every
    continuing option, the result is a tie between them.

    ``to_the_end`` (rule ``majority``) goes on eliminating until one option is left, so the
    winner's last count is every ballot that prefers it to all others; the winner is the same
    (an option with more than half of the continuing ballots is never the lowest), and its
    count only grows when a ballot ranking it first is added.
    """
    continuing = [o.id for o in _ordered(options)]
    history: list[dict[int, int]] = []
    rounds: list[Round] = []
    while True:
        counts = dict.fromkeys(continuing, 0)
        exhausted_b = exhausted_h = 0
        alive = set(continuing)
        for entry in entries:
            top = next((i for i in entry.selection if i in alive), None)
            if top is None:
                exhausted_b += entry.ballots
                exhausted_h += entry.headcount
            else:
                counts[top] += entry.headcount
        history.append(counts)
        total = sum(counts.values())
        ordered_counts = tuple((i, counts[i]) for i in continuing)
        if total == 0:
            rounds.append(Round(len(history), ordered_counts, exhausted_b, exhausted_h, ()))
            return tuple(rounds), RankedOutcome(None, (), 0)
        leader = next((i for i in continuing if 2 * counts[i] > total), None)
        if leader is not None and (len(continuing) == 1 or not to_the_end):
            rounds.append(Round(len(history), ordered_counts, exhausted_b, exhausted_h, ()))
            return tuple(rounds), RankedOutcome(leader, (), counts[leader])
        lowest = min(counts.values())
        tied = [i for i in continuing if counts[i] == lowest]
        for past in reversed(history[:-1]):
            if len(tied) == 1:
                break
            low = min(past[i] for i in tied)
            tied = [i for i in tied if past[i] == low]
        if len(tied) == len(continuing):
            rounds.append(Round(len(history), ordered_counts, exhausted_b, exhausted_h, ()))
            return tuple(rounds), RankedOutcome(None, tuple(continuing), 0)
        rounds.append(Round(len(history), ordered_counts, exhausted_b, exhausted_h, tuple(tied)))
        continuing = [i for i in continuing if i not in tied]


# --------------------------------------------------------------------------------------------
# Non-voters deemed to side with the majority (未参与表决视为同意多数)
# --------------------------------------------------------------------------------------------


def _deemed_majority(raw: Tally) -> int | None:
    """The option that leads the cast ballots in headcount and in area, or ``None``.

    "多数" is read as the choice most chosen (relative majority, abstention included for
    yes/no polls). If the headcount leader and the area leader differ, or either is tied,
    there is no clear majority and nobody is deemed (see docs/counting.md).
    """
    options = raw.options
    if not options or raw.participating_ballots == 0:
        return None
    best_h = max(o.headcount for o in options)
    best_a = max(o.area for o in options)
    lead_h = [o.id for o in options if o.headcount == best_h]
    lead_a = [o.id for o in options if o.area == best_a]
    if len(lead_h) == 1 and lead_h == lead_a and best_h > 0:
        return lead_h[0]
    return None


def _with_deemed(result: Result, entries: Sequence[_Entry], at: int) -> Result:
    spec, raw = result.spec, result.raw
    ht = result.electorate_headcount
    non_h = ht - raw.participating_headcount
    non_a = at - _cents_of(raw.participating_area)
    majority = _deemed_majority(raw)
    labels = {o.id: o.label for o in spec.options}
    clause = spec.deem_clause or _("本小区议事规则")
    if non_h == 0 and non_a == 0:
        note = _("全体业主均已参与表决，无未参与表决的业主可视为同意多数")
        deemed_entries = list(entries)
    elif majority is None:
        note = _("已表决票中人数最多与面积最多的选项不一致或并列，无法认定多数方，未作视为处理")
        deemed_entries = list(entries)
    else:
        note = _(
            "按%(clause)s，未参与表决的业主(%(count)s 人，%(area)s㎡)视为同意多数方「%(option)s」"
        ) % {
            "clause": clause,
            "count": non_h,
            "area": area_str(Fraction(non_a, 100)),
            "option": labels[majority],
        }
        deemed_entries = [*entries, _Entry((majority,), non_h, non_a, ballots=0)]
    deemed = _tally(spec, ht, at, deemed_entries)
    raw_line = _("不作视为处理的原始计票结果：%(verdict)s") % {
        "verdict": verdict_label(raw.verdict)
    }
    deemed = Tally(
        options=deemed.options,
        participating_ballots=deemed.participating_ballots,
        participating_headcount=deemed.participating_headcount,
        participating_area=deemed.participating_area,
        share_headcount=deemed.share_headcount,
        share_area=deemed.share_area,
        thresholds=deemed.thresholds,
        verdict=deemed.verdict,
        reasons=(note, *deemed.reasons, raw_line),
        winners=deemed.winners,
        tie=deemed.tie,
    )
    return Result(
        spec=spec,
        electorate_headcount=ht,
        electorate_area=result.electorate_area,
        raw=raw,
        deemed=deemed,
        by_channel=result.by_channel,
        rounds=result.rounds,
        decided_by="deemed",
        deemed_majority=majority if (non_h or non_a) else None,
        deemed_note=note,
        nonvoters_headcount=non_h,
        nonvoters_area=Fraction(non_a, 100),
    )


# --------------------------------------------------------------------------------------------
# Owner voters (SPC interpretation on 建筑物区分所有权, arts. 8–9)
# --------------------------------------------------------------------------------------------


def build_owner_voters(
    units: Iterable[UnitRecord], ownerships: Iterable[tuple[int, int]]
) -> list[Voter]:
    """Group units into owner voters (SPC interpretation arts. 8–9).

    ``ownerships`` are ``(unit_id, owner_id)`` pairs. Sold units sharing an owner, directly or
    through co-owners, form one voter (union-find): headcount 1, areas summed, ``user_ids``
    all their owners. A sold unit with no recorded owner is its own voter (only staff can
    enter its ballot). All unsold units form one voter, the developer (key ``dev``), whatever
    owners are recorded on them; those owners become its ``user_ids``. Other keys are
    ``u<smallest unit id>``. Voters come in the order of their first unit, the developer last.
    Raises ``CountingError`` for a duplicate unit or an ownership of an unknown unit.
    """
    unit_list = list(units)
    by_id: dict[int, UnitRecord] = {}
    for unit in unit_list:
        _int(unit.id, "unit id")
        if unit.id in by_id:
            raise CountingError(f"unit {unit.id} appears twice")
        to_area(unit.area)
        by_id[unit.id] = unit
    owners_of: dict[int, set[int]] = {}
    for unit_id, owner_id in ownerships:
        if unit_id not in by_id:
            raise CountingError(f"ownership of unknown unit {unit_id}")
        owners_of.setdefault(unit_id, set()).add(owner_id)

    parent = {u.id: u.id for u in unit_list if not u.unsold}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_unit_of_owner: dict[int, int] = {}
    for unit in unit_list:
        if unit.unsold:
            continue
        for owner in sorted(owners_of.get(unit.id, ())):
            if owner in first_unit_of_owner:
                a, b = find(first_unit_of_owner[owner]), find(unit.id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_unit_of_owner[owner] = unit.id

    groups: dict[int, list[UnitRecord]] = {}
    for unit in unit_list:
        if not unit.unsold:
            groups.setdefault(find(unit.id), []).append(unit)
    voters = [_group_voter(f"u{min(u.id for u in g)}", g, owners_of) for g in groups.values()]
    unsold = [u for u in unit_list if u.unsold]
    if unsold:
        developer = _group_voter(DEVELOPER_KEY, unsold, owners_of)
        label = _("开发商未售出或未交付的房屋(%(count)s 套)") % {"count": len(unsold)}
        voters.append(
            Voter(
                key=developer.key,
                headcount=1,
                area=developer.area,
                label=label,
                user_ids=developer.user_ids,
                units=developer.units,
            )
        )
    return voters


def _group_voter(key: str, units: Sequence[UnitRecord], owners_of: Mapping[int, set[int]]) -> Voter:
    area = sum((to_area(u.area) for u in units), Fraction(0))
    owner_ids = sorted({o for u in units for o in owners_of.get(u.id, ())})
    return Voter(
        key=key,
        headcount=1,
        area=Decimal(area_str(area)),
        label="、".join(u.label or str(u.id) for u in units),
        user_ids=tuple(owner_ids),
        units=tuple(units),
    )


def owner_voters_frozen(
    *, units: Iterable[Any], owners: Mapping[int, Sequence[int]]
) -> list[dict[str, Any]]:
    """``build_owner_voters`` on unit objects (``pk``, ``area_m2``, ``unsold``,
    ``area_source``, ``str()``) and ``{unit_id: [owner user ids]}``; returns the frozen JSON
    form ``{"key", "headcount", "area", "user_ids", "label", "units"}``."""
    records = [
        UnitRecord(
            id=u.pk,
            area=u.area_m2,
            unsold=bool(u.unsold),
            label=str(u),
            area_source=str(getattr(u, "area_source", "") or ""),
        )
        for u in units
    ]
    pairs = [(unit_id, user_id) for unit_id, ids in owners.items() for user_id in ids]
    return [voter_to_frozen(v) for v in build_owner_voters(records, pairs)]


def voter_to_frozen(voter: Voter) -> dict[str, Any]:
    return {
        "key": voter.key,
        "headcount": voter.headcount,
        "area": area_str(to_area(voter.area)),
        "user_ids": list(voter.user_ids),
        "label": voter.label,
        "units": [
            {
                "id": u.id,
                "label": u.label,
                "area": area_str(to_area(u.area)),
                "area_source": u.area_source,
            }
            for u in voter.units
        ],
    }


# --------------------------------------------------------------------------------------------
# Stored forms
# --------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    """A stored area as ``Decimal``; floats are refused (they cannot hold 0.01 m² exactly)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float | bool):
        raise CountingError(f"area must be a Decimal or a string, never a float: {value!r}")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise CountingError(f"area {value!r} is not a number") from exc


def voters_from_frozen(electorate: Iterable[Mapping[str, Any]]) -> list[Voter]:
    return [
        Voter(
            key=str(v["key"]),
            headcount=_int(v.get("headcount", 1), "headcount"),
            area=_decimal(v.get("area", "0.00")),
            label=str(v.get("label", "")),
            user_ids=tuple(int(u) for u in v.get("user_ids", [])),
        )
        for v in electorate
    ]


def count_frozen(
    *,
    spec: Mapping[str, Any],
    electorate: Sequence[Mapping[str, Any]],
    ballots: Iterable[Sequence[Any]],
    totals: tuple[int, Decimal] | None = None,
) -> Result:
    """Count from stored forms: ``Poll.frozen_spec``, ``Poll.frozen_electorate`` and ballot rows
    ``(seq, voter_key, choice, headcount, area, channel)``."""
    cast = [
        CastBallot(
            voter_key=voter_key,
            choice=choice,
            headcount=headcount,
            area=_decimal(area),
            channel=channel or "",
            seq=seq,
        )
        for seq, voter_key, choice, headcount, area, channel in ballots
    ]
    return count(PollSpec.from_frozen(spec), voters_from_frozen(electorate), cast, totals=totals)


__all__ = [
    "COUNTING_VERSION",
    "CastBallot",
    "CountingError",
    "OptionCount",
    "OptionSpec",
    "PollSpec",
    "Result",
    "Round",
    "Share",
    "Tally",
    "Threshold",
    "UnitRecord",
    "Voter",
    "area_str",
    "build_owner_voters",
    "count",
    "count_frozen",
    "fraction_str",
    "honest_percent",
    "instant_runoff",
    "owner_voters_frozen",
    "percent_str",
    "to_area",
]
