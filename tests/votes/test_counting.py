"""Worked examples of votes.counting: the art. 278 boundaries, rules, deeming, adapters.

Pure code: no database. Each boundary is shown at, just above and just below, for headcount
and for area separately (the other measure comfortably met, so the verdict turns on one).
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.votes.counting_helpers import (
    ABSTAIN,
    NO,
    PLANS,
    YES,
    ballot,
    council_spec,
    electorate,
    owners_spec,
    persons,
    pick,
    threshold,
    votes,
)
from votes.counting import (
    CastBallot,
    CountingError,
    OptionSpec,
    PollSpec,
    UnitRecord,
    Voter,
    build_owner_voters,
    count,
    count_frozen,
    honest_percent,
    owner_voters_frozen,
    percent_str,
)

A, B, C = (p.id for p in PLANS)


# --------------------------------------------------------------------------------------------
# Boundary tables
# --------------------------------------------------------------------------------------------


def _participation_headcount(hp: int):
    """300 owners; the first ``hp`` vote yes. Voter 0 holds most of the area, so the area
    share is met whenever voter 0 takes part: the verdict turns on headcount alone."""
    areas = ["10000.00"] + ["1.00"] * 299
    return areas, [YES] * hp + [None] * (300 - hp)


def _participation_area(a: str, b: str, c: str):
    """Three owners; A and B vote yes (headcount 2/3, exactly met), C abstains from voting."""
    return [a, b, c], [YES, YES, None]


def _approval_headcount(yes: int):
    """100 owners all vote; yes voters hold 10 m² each, no voters 1 m²: area comfortably met."""
    return ["10.00"] * yes + ["1.00"] * (100 - yes), [YES] * yes + [NO] * (100 - yes)


def _approval_area(yes_areas: list[str], no_areas: list[str]):
    return yes_areas + no_areas, [YES] * len(yes_areas) + [NO] * len(no_areas)


BOUNDARIES = [
    # --- participation 3·Hp ≥ 2·Ht (inclusive), headcount ---
    (
        "participation headcount at 2/3",
        "owners_ordinary",
        *_participation_headcount(200),
        "passed",
        set(),
        "参与表决人数 200/300 = 66.7% ≥ 2/3",
    ),
    (
        "participation headcount just below 2/3",
        "owners_ordinary",
        *_participation_headcount(199),
        "no_verdict",
        {"participation_headcount"},
        "参与表决人数 199/300 = 66.3% < 2/3",
    ),
    (
        "participation headcount just above 2/3",
        "owners_ordinary",
        *_participation_headcount(201),
        "passed",
        set(),
        "参与表决人数 201/300 = 67.0% ≥ 2/3",
    ),
    # --- participation 3·Ap ≥ 2·At (inclusive), area ---
    (
        "participation area at 2/3",
        "owners_ordinary",
        *_participation_area("199.99", "0.01", "100.00"),
        "passed",
        set(),
        "参与表决面积 200.00/300.00㎡ = 66.7% ≥ 2/3",
    ),
    (
        "participation area just below 2/3",
        "owners_ordinary",
        *_participation_area("199.98", "0.01", "100.01"),
        "no_verdict",
        {"participation_area"},
        # 66.663...% rounds to 66.7 at one decimal, which would contradict "< 2/3".
        "参与表决面积 199.99/300.00㎡ = 66.66% < 2/3",
    ),
    (
        "participation area just above 2/3",
        "owners_ordinary",
        *_participation_area("200.00", "0.01", "99.99"),
        "passed",
        set(),
        "参与表决面积 200.01/300.00㎡ = 66.7% ≥ 2/3",
    ),
    # --- special 4·Hy ≥ 3·Hp (inclusive), headcount ---
    (
        "special headcount at 3/4",
        "owners_special",
        *_approval_headcount(75),
        "passed",
        set(),
        "同意人数 75/100 = 75.0% ≥ 3/4",
    ),
    (
        "special headcount just below 3/4",
        "owners_special",
        *_approval_headcount(74),
        "failed",
        {"approval_headcount"},
        "同意人数 74/100 = 74.0% < 3/4",
    ),
    (
        "special headcount just above 3/4",
        "owners_special",
        *_approval_headcount(76),
        "passed",
        set(),
        "同意人数 76/100 = 76.0% ≥ 3/4",
    ),
    # --- special 4·Ay ≥ 3·Ap (inclusive), area; headcount 3/4 exactly met ---
    (
        "special area at 3/4",
        "owners_special",
        *_approval_area(["100.00", "100.00", "100.00"], ["100.00"]),
        "passed",
        set(),
        "同意面积 300.00/400.00㎡ = 75.0% ≥ 3/4",
    ),
    (
        "special area just below 3/4",
        "owners_special",
        *_approval_area(["100.00", "100.00", "99.99"], ["100.01"]),
        "failed",
        {"approval_area"},
        # 74.9975% would show as 75.0 and 75.00: three decimals are needed.
        "同意面积 299.99/400.00㎡ = 74.998% < 3/4",
    ),
    (
        "special area just above 3/4",
        "owners_special",
        *_approval_area(["100.00", "100.00", "100.01"], ["99.99"]),
        "passed",
        set(),
        "同意面积 300.01/400.00㎡ = 75.0% ≥ 3/4",
    ),
    # --- ordinary 2·Hy > Hp (strict), headcount ---
    (
        "ordinary headcount at 1/2 fails",
        "owners_ordinary",
        *_approval_headcount(50),
        "failed",
        {"approval_headcount"},
        "同意人数 50/100 = 50.0% ≤ 1/2",
    ),
    (
        "ordinary headcount just below 1/2",
        "owners_ordinary",
        *_approval_headcount(49),
        "failed",
        {"approval_headcount"},
        "同意人数 49/100 = 49.0% ≤ 1/2",
    ),
    (
        "ordinary headcount just above 1/2",
        "owners_ordinary",
        *_approval_headcount(51),
        "passed",
        set(),
        "同意人数 51/100 = 51.0% > 1/2",
    ),
    # --- ordinary 2·Ay > Ap (strict), area; headcount 2/3 comfortably met ---
    (
        "ordinary area at 1/2 fails",
        "owners_ordinary",
        *_approval_area(["50.00", "50.00"], ["100.00"]),
        "failed",
        {"approval_area"},
        "同意面积 100.00/200.00㎡ = 50.0% ≤ 1/2",
    ),
    (
        "ordinary area just below 1/2",
        "owners_ordinary",
        *_approval_area(["50.00", "49.99"], ["100.01"]),
        "failed",
        {"approval_area"},
        # 49.995% shows as 50.0, still honest next to "≤ 1/2".
        "同意面积 99.99/200.00㎡ = 50.0% ≤ 1/2",
    ),
    (
        "ordinary area just above 1/2",
        "owners_ordinary",
        *_approval_area(["50.00", "50.01"], ["99.99"]),
        "passed",
        set(),
        # 50.005% at one decimal is 50.0, which would read as "not above half".
        "同意面积 100.01/200.00㎡ = 50.01% > 1/2",
    ),
]


@pytest.mark.parametrize(
    ("rule", "areas", "choices", "verdict", "unmet", "text"),
    [pytest.param(*row[1:], id=row[0]) for row in BOUNDARIES],
)
def test_art_278_boundaries(rule, areas, choices, verdict, unmet, text):
    voters = electorate(areas)
    result = count(owners_spec(rule), voters, votes(voters, choices)).to_dict()
    assert result["verdict"] == verdict
    assert {t["key"] for t in result["thresholds"] if not t["met"]} == unmet
    assert text in [t["text"] for t in result["thresholds"]]
    assert text in result["reasons"]


def test_area_meets_but_headcount_misses_participation():
    # 6 owners; the big one and two small ones vote: headcount 3/6 < 2/3, area 1002/1005.
    voters = electorate(["1000.00"] + ["1.00"] * 5)
    result = count(owners_spec(), voters, votes(voters, [YES, YES, NO])).to_dict()
    assert result["verdict"] == "no_verdict"
    assert threshold(result, "participation_headcount")["met"] is False
    assert threshold(result, "participation_area")["met"] is True
    assert (
        "未达参与表决要求(人数和面积均须达到三分之二以上)，不对表决事项作出决定"
        in (result["reasons"])
    )
    # No verdict on the merits: approval is not even assessed.
    assert all(not t["key"].startswith("approval") for t in result["thresholds"])


def test_headcount_meets_but_area_misses_participation():
    voters = electorate(["1.00"] * 5 + ["1000.00"])
    result = count(owners_spec(), voters, votes(voters, [YES, YES, YES, YES, NO])).to_dict()
    assert result["verdict"] == "no_verdict"
    assert threshold(result, "participation_headcount")["met"] is True
    assert threshold(result, "participation_area")["met"] is False
    assert threshold(result, "participation_area")["text"] == (
        "参与表决面积 5.00/1005.00㎡ = 0.5% < 2/3"
    )


def test_area_meets_but_headcount_misses_approval_special():
    # Two of four approve (1/2 < 3/4) but they hold 90% of the area.
    voters = electorate(["450.00", "450.00", "50.00", "50.00"])
    result = count(owners_spec("owners_special"), voters, votes(voters, [YES, YES, NO, NO]))
    data = result.to_dict()
    assert data["verdict"] == "failed"
    assert threshold(data, "approval_headcount")["met"] is False
    assert threshold(data, "approval_area")["met"] is True
    assert data["reasons"][-1] == "未获通过(须参与表决人数和面积均四分之三以上同意)"


def test_abstention_takes_part_but_does_not_approve():
    voters = electorate(["100.00"] * 6)
    # 4 take part: 2 yes, 1 no, 1 abstain → participation 4/6 ≥ 2/3; approval 2/4 not > 1/2.
    result = count(owners_spec(), voters, votes(voters, [YES, YES, NO, ABSTAIN])).to_dict()
    assert result["participating"]["headcount"] == 4
    assert result["participating"]["area"] == "400.00"
    assert threshold(result, "participation_headcount")["met"] is True
    assert threshold(result, "approval_headcount")["text"] == "同意人数 2/4 = 50.0% ≤ 1/2"
    assert result["verdict"] == "failed"


def test_shares_are_exact_fractions_with_display_percent():
    voters = electorate(["100.00", "50.00", "50.00"])
    data = count(owners_spec(), voters, votes(voters, [YES, NO, YES])).to_dict()
    yes = next(o for o in data["options"] if o["id"] == YES)
    assert yes["share_headcount"] == {"fraction": "2/3", "percent": "66.7"}
    assert yes["share_area"] == {"fraction": "3/4", "percent": "75.0"}
    assert data["participating"]["share_headcount"] == {"fraction": "1/1", "percent": "100.0"}
    assert threshold(data, "participation_area")["value"] == "1/1"
    assert threshold(data, "approval_headcount")["required"] == "1/2"
    assert threshold(data, "approval_headcount")["inclusive"] is False
    assert json.loads(json.dumps(data)) == data


def test_electorate_and_channels_reported():
    voters = electorate(["80.50", "60.25", "59.25", "100.00"])
    cast = [
        pick(voters[0], YES, "online"),
        pick(voters[1], YES, "paper"),
        pick(voters[2], NO, "proxy"),
        pick(voters[3], YES, "paper"),
    ]
    data = count(owners_spec(), voters, cast).to_dict()
    assert data["electorate"] == {"headcount": 4, "area": "300.00"}
    assert data["by_channel"] == {"online": 1, "paper": 2, "proxy": 1}
    assert data["verdict"] == "passed"
    assert data["winners"] == [YES]
    assert data["decided_by"] == "raw" and data["deemed"] is None


# --------------------------------------------------------------------------------------------
# Owners' decisions on several options (three parking plans, method single)
# --------------------------------------------------------------------------------------------


def test_plan_adopted_when_its_own_headcount_and_area_exceed_half():
    voters = electorate(["100.00"] * 10)
    choices = [A] * 6 + [B] * 2 + [C] * 1 + [None]
    data = count(owners_spec(method="single"), voters, votes(voters, choices)).to_dict()
    assert data["verdict"] == "passed"
    assert data["winners"] == [A]
    assert [o["adopted"] for o in data["options"]] == [True, False, False]
    assert threshold(data, "approval_headcount", A)["text"] == (
        "同意人数(方案一：划线停车) 6/9 = 66.7% > 1/2"
    )
    assert data["reasons"][-1] == ("「方案一：划线停车」获得通过(须参与表决人数和面积均过半数同意)")


def test_no_plan_adopted_when_none_has_a_double_majority():
    # A leads by headcount (5 of 9) but B holds more than half the area: neither meets both.
    voters = electorate(["10.00"] * 5 + ["100.00"] * 4)
    choices = [A] * 5 + [B] * 4
    data = count(owners_spec(method="single"), voters, votes(voters, choices)).to_dict()
    assert threshold(data, "approval_headcount", A)["met"] is True
    assert threshold(data, "approval_area", A)["met"] is False
    assert threshold(data, "approval_area", B)["met"] is True
    assert data["verdict"] == "failed"
    assert data["winners"] == []
    assert data["reasons"][-1] == (
        "没有选项同时达到同意人数和同意面积的要求(须参与表决人数和面积均过半数同意)"
    )


def test_plurality_of_plans_is_not_enough_for_owners():
    voters = electorate(["100.00"] * 9)
    choices = [A] * 4 + [B] * 3 + [C] * 2
    data = count(owners_spec(method="single"), voters, votes(voters, choices)).to_dict()
    assert data["verdict"] == "failed"


def test_approval_owners_several_adopted_most_headcount_wins():
    voters = electorate(["100.00"] * 6)
    cast = [ballot(v, {"choices": [A, B]}) for v in voters[:4]] + [
        ballot(voters[4], {"choices": [A]}),
        ballot(voters[5], {"choices": [C]}),
    ]
    data = count(owners_spec(method="approval"), voters, cast).to_dict()
    adopted = [o["id"] for o in data["options"] if o["adopted"]]
    assert adopted == [A, B]
    assert data["verdict"] == "passed" and data["winners"] == [A]


def test_approval_owners_several_adopted_tied_is_undecided():
    voters = electorate(["100.00"] * 4)
    cast = [ballot(v, {"choices": [A, B]}) for v in voters[:3]] + [
        ballot(voters[3], {"choices": []})
    ]
    data = count(owners_spec(method="approval"), voters, cast).to_dict()
    assert data["participating"]["headcount"] == 4  # a blank approval ballot takes part
    assert data["verdict"] == "undecided"
    assert data["tie"] == [A, B] and data["winners"] == []


# --------------------------------------------------------------------------------------------
# Deliberative polls
# --------------------------------------------------------------------------------------------


def test_plurality_single_winner_and_tie():
    members = persons(7)
    data = count(
        council_spec(method="single"), members, votes(members, [A, A, A, B, B, C, None])
    ).to_dict()
    assert data["verdict"] == "passed" and data["winners"] == [A]
    tie = count(council_spec(method="single"), members, votes(members, [A, A, B, B, C])).to_dict()
    assert tie["verdict"] == "undecided" and tie["tie"] == [A, B]


def test_plurality_yesno_tie_fails():
    members = persons(6)
    data = count(council_spec(), members, votes(members, [YES, YES, NO, NO, ABSTAIN])).to_dict()
    assert data["verdict"] == "failed"
    assert threshold(data, "plurality")["text"] == "赞成 2 = 反对 2"
    passed = count(council_spec(), members, votes(members, [YES, YES, NO, ABSTAIN, ABSTAIN]))
    assert passed.verdict == "passed"


@pytest.mark.parametrize(
    ("yes", "others", "inclusive", "verdict"),
    [
        (6, 3, True, "passed"),  # exactly 2/3, inclusive
        (6, 3, False, "failed"),  # exactly 2/3, strict
        (5, 3, False, "failed"),  # 5/8 below 2/3
        (7, 3, False, "passed"),  # 7/10 above 2/3
    ],
)
def test_majority_share_of_participating_ballots(yes, others, inclusive, verdict):
    members = persons(yes + others)
    # Abstentions take part: the denominator counts them.
    choices = [YES] * yes + [NO] * (others - 1) + [ABSTAIN]
    spec = council_spec("majority", majority=(2, 3), majority_inclusive=inclusive)
    data = count(spec, members, votes(members, choices)).to_dict()
    assert data["verdict"] == verdict
    assert data["majority"] == "2/3"
    th = threshold(data, "majority")
    assert th["value"] == f"{Fraction(yes, yes + others).numerator}/" + str(
        Fraction(yes, yes + others).denominator
    )


def test_majority_with_options_picks_the_option_over_the_share():
    members = persons(10)
    spec = council_spec("majority", method="single")
    data = count(spec, members, votes(members, [A] * 6 + [B] * 4)).to_dict()
    assert data["verdict"] == "passed" and data["winners"] == [A]
    none = count(spec, members, votes(members, [A] * 5 + [B] * 4 + [C])).to_dict()
    assert none["verdict"] == "failed" and none["reasons"][-1] == "没有选项达到规定的多数"


def test_nobody_voted_is_no_verdict():
    members = persons(3)
    data = count(council_spec(method="single"), members, []).to_dict()
    assert data["verdict"] == "no_verdict"
    assert data["participating"]["share_headcount"] == {"fraction": "0/1", "percent": "0.0"}
    assert data["options"][0]["share_headcount"] == {"fraction": None, "percent": None}


# --------------------------------------------------------------------------------------------
# Non-voters deemed to side with the majority
# --------------------------------------------------------------------------------------------


def test_deemed_tally_side_by_side_with_raw():
    voters = electorate(["100.00"] * 10)
    spec = owners_spec(deem_nonvoters=True, deem_clause="管理规约第十二条")
    # 5 of 10 vote: short of 2/3 participation. Yes leads (3 vs 2) in headcount and area.
    data = count(spec, voters, votes(voters, [YES, YES, YES, NO, NO])).to_dict()
    assert data["raw"]["verdict"] == "no_verdict"
    assert data["decided_by"] == "deemed"
    deemed = data["deemed"]
    assert deemed["clause"] == "管理规约第十二条"
    assert deemed["majority_option"] == YES
    assert deemed["nonvoters"] == {"headcount": 5, "area": "500.00"}
    assert deemed["participating"]["headcount"] == 10
    assert deemed["participating"]["ballots"] == 5  # deemed voters are not ballots
    yes = next(o for o in deemed["options"] if o["id"] == YES)
    assert (yes["ballots"], yes["headcount"], yes["area"]) == (3, 8, "800.00")
    assert deemed["verdict"] == "passed"
    assert data["verdict"] == "passed" and data["winners"] == [YES]
    assert data["reasons"][0] == (
        "按管理规约第十二条，未参与表决的业主(5 人，500.00㎡)视为同意多数方「赞成」"
    )
    assert data["reasons"][-1] == "不作视为处理的原始计票结果：未形成表决结论"
    # The raw tally stays at the top level: what was actually cast.
    assert data["participating"]["headcount"] == 5


def test_deeming_needs_the_same_majority_in_headcount_and_area():
    # Yes leads by headcount (3 vs 2), no leads by area: no clear majority, nobody deemed.
    voters = electorate(["10.00"] * 3 + ["100.00"] * 2 + ["50.00"] * 5)
    spec = owners_spec(deem_nonvoters=True)
    data = count(spec, voters, votes(voters, [YES, YES, YES, NO, NO])).to_dict()
    assert data["deemed"]["majority_option"] is None
    assert data["deemed"]["participating"] == data["raw"]["participating"]
    assert data["verdict"] == data["raw"]["verdict"] == "no_verdict"
    assert "无法认定多数方" in data["deemed"]["note"]


def test_deeming_when_majority_voted_against():
    voters = electorate(["100.00"] * 10)
    spec = owners_spec(deem_nonvoters=True)
    data = count(spec, voters, votes(voters, [YES, NO, NO, NO])).to_dict()
    assert data["deemed"]["majority_option"] == NO
    assert data["verdict"] == "failed"
    assert threshold(data["deemed"], "participation_headcount")["met"] is True


def test_deeming_with_everyone_voted_equals_raw():
    voters = electorate(["100.00"] * 4)
    spec = owners_spec(deem_nonvoters=True)
    data = count(spec, voters, votes(voters, [YES, YES, YES, NO])).to_dict()
    assert data["deemed"]["options"] == data["raw"]["options"]
    assert data["deemed"]["majority_option"] is None
    assert data["verdict"] == "passed"


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def test_percent_display_rounds_half_up():
    assert percent_str(Fraction(2, 3)) == "66.7"
    assert percent_str(Fraction(1, 8)) == "12.5"
    assert percent_str(Fraction(1, 16)) == "6.3"  # 6.25 → 6.3
    assert percent_str(Fraction(612, 1000)) == "61.2"


def test_honest_percent_never_contradicts_the_comparison():
    just_below = Fraction(2, 3) - Fraction(1, 10**6)
    assert honest_percent(just_below, Fraction(2, 3), met=False, inclusive=True) == "66.6666"
    assert honest_percent(Fraction(2, 3), Fraction(2, 3), met=True, inclusive=True) == "66.7"
    assert honest_percent(Fraction(1, 2), Fraction(1, 2), met=False, inclusive=False) == "50.0"


def test_reason_for_area_short_of_participation_reads_like_the_notice():
    # 61.2% of the area took part.
    voters = electorate(["612.00", "388.00"])
    spec = owners_spec()
    data = count(spec, voters, votes(voters, [YES])).to_dict()
    assert threshold(data, "participation_area")["text"] == (
        "参与表决面积 612.00/1000.00㎡ = 61.2% < 2/3"
    )


# --------------------------------------------------------------------------------------------
# Refusing inconsistent input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda v: [pick(v[0], YES), pick(v[0], NO)], "two ballots"),
        (lambda v: [CastBallot("stranger", {"choice": YES}, 1, Decimal("1.00"))], "outside"),
        (lambda v: [CastBallot("v0", {"choice": YES}, 1, Decimal("99.00"))], "weights"),
        (lambda v: [CastBallot("v0", {"choice": YES}, 1, 100.0)], "float"),
        (lambda v: [ballot(v[0], {"choice": 999})], "outside the poll"),
        (lambda v: [ballot(v[0], {"choices": [YES]})], "must be"),
        (lambda v: [ballot(v[0], {"choice": True})], "integer"),
        (lambda v: [CastBallot("v0", {"choice": YES}, 1, Decimal("100.001"))], "0.01"),
    ],
)
def test_inconsistent_ballots_are_refused(make, message):
    voters = electorate(["100.00", "100.00"])
    with pytest.raises(CountingError, match=message):
        count(owners_spec(), voters, make(voters))


def test_inconsistent_specs_are_refused():
    voters = electorate(["100.00"])
    with pytest.raises(CountingError, match="art 278 rules"):
        count(owners_spec("plurality"), voters, [])
    with pytest.raises(CountingError, match="art 278 rules"):
        count(council_spec("owners_ordinary"), voters, [])
    with pytest.raises(CountingError, match="ranked"):
        count(owners_spec(method="ranked"), voters, [])
    with pytest.raises(CountingError, match="strictly between"):
        count(council_spec("majority", majority=(1, 1)), voters, [])
    with pytest.raises(CountingError, match="yes"):
        count(PollSpec("deliberative", "yesno", "plurality", PLANS), voters, [])


def test_secret_ballots_counted_against_totals():
    spec = council_spec(method="single")
    secret = [CastBallot(None, {"choice": A}), CastBallot(None, {"choice": A})]
    result = count(spec, [], secret, totals=(3, Decimal("0")))
    assert result.verdict == "passed" and result.electorate_headcount == 3
    with pytest.raises(CountingError, match="exceeds"):
        count(spec, [], secret * 2, totals=(3, Decimal("0")))


# --------------------------------------------------------------------------------------------
# Stored forms (what votes.tally hands in)
# --------------------------------------------------------------------------------------------


def test_count_frozen_matches_count():
    frozen_spec = {
        "kind": "owners",
        "electorate": "owners",
        "method": "yesno",
        "rule": "owners_special",
        "majority": [1, 2],
        "majority_inclusive": False,
        "secrecy": "named",
        "question": "加装充电桩",
        "option_ids": [7, 8, 9],
        "options": [
            {"id": 7, "label": "赞成", "meaning": "yes"},
            {"id": 8, "label": "反对", "meaning": "no"},
            {"id": 9, "label": "弃权", "meaning": "abstain"},
        ],
        "deem_nonvoters_majority": False,
        "deem_nonvoters_clause": "",
    }
    frozen_voters = [
        {"key": "u1", "headcount": 1, "area": "90.00", "user_ids": [1], "label": "", "units": []},
        {"key": "u2", "headcount": 1, "area": "90.00", "user_ids": [2], "label": "", "units": []},
        {"key": "dev", "headcount": 1, "area": "20.00", "user_ids": [], "label": "", "units": []},
    ]
    rows = [
        (1, "u1", {"choice": 7}, 1, Decimal("90.00"), "online"),
        (2, "u2", {"choice": 7}, 1, Decimal("90.00"), "paper"),
        (3, "dev", {"choice": 8}, 1, Decimal("20.00"), "paper"),
    ]
    result = count_frozen(spec=frozen_spec, electorate=frozen_voters, ballots=rows)
    data = result.to_dict()
    assert data["question"] == "加装充电桩"
    assert threshold(data, "approval_headcount")["text"] == "同意人数 2/3 = 66.7% < 3/4"
    assert threshold(data, "approval_area")["met"] is True
    assert data["verdict"] == "failed"
    assert data["by_channel"] == {"online": 1, "paper": 2}
    with pytest.raises(CountingError, match="float"):
        count_frozen(
            spec=frozen_spec,
            electorate=[{**frozen_voters[0], "area": 90.0}],
            ballots=[],
        )


# --------------------------------------------------------------------------------------------
# Owner voters (SPC arts. 8–9)
# --------------------------------------------------------------------------------------------


def _unit(uid: int, area: str, unsold: bool = False) -> UnitRecord:
    return UnitRecord(id=uid, area=Decimal(area), unsold=unsold, label=f"1-{uid}")


def test_co_owners_of_a_unit_are_one_voter():
    voters = build_owner_voters([_unit(1, "88.50")], [(1, 100), (1, 101)])
    assert voters == [
        Voter(
            key="u1",
            headcount=1,
            area=Decimal("88.50"),
            label="1-1",
            user_ids=(100, 101),
            units=(_unit(1, "88.50"),),
        )
    ]


def test_owner_of_several_units_counts_once_with_areas_summed():
    units = [_unit(1, "60.25"), _unit(2, "60.25"), _unit(3, "75.00")]
    voters = build_owner_voters(units, [(1, 100), (2, 100), (3, 200)])
    assert [(v.key, v.headcount, v.area, v.user_ids) for v in voters] == [
        ("u1", 1, Decimal("120.50"), (100,)),
        ("u3", 1, Decimal("75.00"), (200,)),
    ]


def test_unsold_units_are_one_voter_with_all_their_area():
    units = [_unit(1, "70.00"), _unit(2, "80.00", True), _unit(3, "60.00", True)]
    voters = build_owner_voters(units, [(1, 100)])
    developer = voters[-1]
    assert (developer.key, developer.headcount, developer.area) == ("dev", 1, Decimal("140.00"))
    assert developer.user_ids == ()
    assert developer.label == "开发商未售出或未交付的房屋(2 套)"
    assert sum(v.headcount for v in voters) == 2


def test_shared_owners_chain_into_one_voter():
    # 100 and 101 co-own unit 1; 101 also owns unit 2; 102 and 100 co-own unit 3.
    units = [_unit(1, "50.00"), _unit(2, "40.00"), _unit(3, "30.00"), _unit(4, "20.00")]
    pairs = [(1, 100), (1, 101), (2, 101), (3, 102), (3, 100)]
    voters = build_owner_voters(units, pairs)
    assert [(v.key, v.area, v.user_ids) for v in voters] == [
        ("u1", Decimal("120.00"), (100, 101, 102)),
        ("u4", Decimal("20.00"), ()),  # no recorded owner: still one unit, one owner
    ]


def test_owner_grouping_refuses_bad_input():
    with pytest.raises(CountingError, match="twice"):
        build_owner_voters([_unit(1, "1.00"), _unit(1, "2.00")], [])
    with pytest.raises(CountingError, match="unknown unit"):
        build_owner_voters([_unit(1, "1.00")], [(2, 100)])


def test_owner_voters_frozen_from_unit_objects():
    class FakeUnit:
        def __init__(self, pk, area, unsold=False):
            self.pk, self.area_m2, self.unsold, self.area_source = pk, area, unsold, "surveyed"

        def __str__(self):
            return f"2号楼-{self.pk}"

    units = [FakeUnit(5, Decimal("90.10")), FakeUnit(6, Decimal("9.90")), FakeUnit(7, "50.00", 1)]
    frozen = owner_voters_frozen(units=units, owners={5: [42], 6: [42]})
    assert frozen == [
        {
            "key": "u5",
            "headcount": 1,
            "area": "100.00",
            "user_ids": [42],
            "label": "2号楼-5、2号楼-6",
            "units": [
                {"id": 5, "label": "2号楼-5", "area": "90.10", "area_source": "surveyed"},
                {"id": 6, "label": "2号楼-6", "area": "9.90", "area_source": "surveyed"},
            ],
        },
        {
            "key": "dev",
            "headcount": 1,
            "area": "50.00",
            "user_ids": [],
            "label": "开发商未售出或未交付的房屋(1 套)",
            "units": [{"id": 7, "label": "2号楼-7", "area": "50.00", "area_source": "surveyed"}],
        },
    ]
    assert json.loads(json.dumps(frozen)) == frozen


def test_spec_from_frozen_defaults():
    spec = PollSpec.from_frozen(
        {"kind": "deliberative", "method": "single", "rule": "plurality", "option_ids": [3, 4]}
    )
    assert spec.options == (OptionSpec(3, "", "", 0), OptionSpec(4, "", "", 1))
    assert spec.majority == (1, 2) and spec.deem_nonvoters is False


def test_counting_module_is_pure():
    """No ORM, no database, no clock: only arithmetic and gettext for the reason texts.

    Every module of the ``votes.counting`` package imports the standard library's arithmetic,
    gettext and other modules of the package only.
    """
    import ast
    from pathlib import Path

    import votes.counting

    imported = set()
    for path in Path(votes.counting.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: relative import"
                imported.add(node.module)
    own = {name for name in imported if name.startswith("votes.counting.")}
    assert imported - own <= {
        "__future__",
        "math",
        "collections",
        "collections.abc",
        "dataclasses",
        "decimal",
        "enum",
        "fractions",
        "typing",
        "django.utils.translation",
    }
