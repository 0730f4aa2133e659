"""The entry point: ``count(spec, voters, ballots)`` checks the input, weighs each ballot,
runs the rule (and the run-off, and the deemed tally where enabled) and returns a ``Result``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from votes.counting.deemed import with_deemed
from votes.counting.ranked import instant_runoff
from votes.counting.result import Result, Round
from votes.counting.spec import (
    KIND_OWNERS,
    KINDS,
    MEANINGS,
    METHODS,
    OWNERS_RULES,
    RULES,
    CastBallot,
    CountingError,
    Entry,
    PollSpec,
    Voter,
    accepts_blank,
    checked_int,
    to_cents,
)
from votes.counting.thresholds import tally


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
        if choice["choice"] is None:
            # A blank single choice (弃权): it takes part and supports no option.
            if not accepts_blank(spec.method, spec.rule):
                raise CountingError(f"choice {choice!r}: no blank ballot under {spec.rule}")
            return ()
        picked = [checked_int(choice["choice"], "option id")]
    else:
        key = "choices" if spec.method == "approval" else "ranking"
        if set(choice) != {key} or not isinstance(choice[key], list | tuple):
            raise CountingError(f"choice {choice!r} must be {{{key!r}: [ids]}}")
        picked = [checked_int(i, "option id") for i in choice[key]]
        if len(set(picked)) != len(picked):
            raise CountingError(f"choice {choice!r} names an option twice")
    unknown = [i for i in picked if i not in option_ids]
    if unknown:
        raise CountingError(f"choice {choice!r} names options outside the poll: {unknown}")
    if spec.method == "approval":
        return tuple(sorted(picked))
    return tuple(picked)


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
        weight = (checked_int(voter.headcount, "headcount"), to_cents(voter.area))
        if weight[0] < 1:
            raise CountingError(f"voter {voter.key!r} has headcount {weight[0]}")
        voter_map[voter.key] = weight
        ht += weight[0]
        at += weight[1]
    if totals is not None:
        t_h, t_a = checked_int(totals[0], "total headcount"), to_cents(totals[1])
        if voter_map and (t_h, t_a) != (ht, at):
            raise CountingError(f"totals {totals} differ from the electorate's ({ht}, {at})")
        ht, at = t_h, t_a
    if spec.kind == KIND_OWNERS and ht == 0:
        raise CountingError("an owners' decision needs a non-empty electorate")

    option_ids = {o.id for o in spec.options}
    entries: list[Entry] = []
    seen: set[str] = set()
    channels: Counter[str] = Counter()
    for ballot in ballots:
        headcount = checked_int(ballot.headcount, "ballot headcount")
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
        entries.append(Entry(_selection(spec, ballot.choice, option_ids), headcount, area))
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
        raw = tally(spec, ht, at, entries, ranked=ranked_outcome)
    else:
        raw = tally(spec, ht, at, entries)

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
        result = with_deemed(result, entries, at)
    return result
