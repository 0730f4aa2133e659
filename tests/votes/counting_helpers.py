"""Plain-data builders for the counting tests (no database)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from votes.counting import CastBallot, OptionSpec, PollSpec, Voter

YES, NO, ABSTAIN = 1, 2, 3
YESNO_OPTIONS = (
    OptionSpec(YES, "赞成", "yes", 0),
    OptionSpec(NO, "反对", "no", 1),
    OptionSpec(ABSTAIN, "弃权", "abstain", 2),
)
PLANS = (
    OptionSpec(11, "方案一：划线停车", "", 0),
    OptionSpec(12, "方案二：错时停车", "", 1),
    OptionSpec(13, "方案三：维持现状", "", 2),
)


def owners_spec(rule: str = "owners_ordinary", method: str = "yesno", **extra) -> PollSpec:
    options = YESNO_OPTIONS if method == "yesno" else PLANS
    return PollSpec(kind="owners", method=method, rule=rule, options=options, **extra)


def council_spec(rule: str = "plurality", method: str = "yesno", **extra) -> PollSpec:
    options = YESNO_OPTIONS if method == "yesno" else PLANS
    return PollSpec(kind="deliberative", method=method, rule=rule, options=options, **extra)


def electorate(areas: Sequence[str | Decimal]) -> list[Voter]:
    """One owner voter per area, keys ``v0``, ``v1``, ..."""
    return [Voter(key=f"v{i}", headcount=1, area=Decimal(a)) for i, a in enumerate(areas)]


def persons(n: int) -> list[Voter]:
    return [Voter(key=f"p{i}", headcount=1, area=Decimal("0.00")) for i in range(n)]


def ballot(voter: Voter, choice: dict, channel: str = "online") -> CastBallot:
    return CastBallot(
        voter_key=voter.key,
        choice=choice,
        headcount=voter.headcount,
        area=voter.area,
        channel=channel,
    )


def pick(voter: Voter, option_id: int, channel: str = "online") -> CastBallot:
    return ballot(voter, {"choice": option_id}, channel)


def votes(voters: Sequence[Voter], choices: Sequence[int | None]) -> list[CastBallot]:
    """``choices[i]`` is voter i's option id, or ``None`` when voter i does not vote."""
    return [pick(v, c) for v, c in zip(voters, choices, strict=False) if c is not None]


def threshold(result_dict: dict, key: str, option_id: int | None = None) -> dict:
    found = [
        t
        for t in result_dict["thresholds"]
        if t["key"] == key and (option_id is None or t["option_id"] == option_id)
    ]
    assert len(found) == 1, (key, option_id, result_dict["thresholds"])
    return found[0]
