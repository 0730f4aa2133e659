"""What counting gives back: tallies, thresholds, run-off rounds and the ``Result``.

``Result.to_dict()`` is what ``Poll.result`` stores and the result page, minutes and API show.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from votes.counting.formatting import area_str, fraction_str, percent_str, verdict_label
from votes.counting.spec import COUNTING_VERSION, PollSpec, Verdict


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
    verdict: Verdict
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
            "verdict": self.verdict.value,
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
    def verdict(self) -> Verdict:
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
            "verdict": deciding.verdict.value,
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
