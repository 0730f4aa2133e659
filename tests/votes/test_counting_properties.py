"""Property-based tests of votes.counting (hypothesis).

- tallies add up; participation never exceeds the electorate;
- one more approving ballot never turns a pass into a fail;
- the result does not depend on the order of the ballots (nor, for run-offs, of the options);
- the deemed tally is at least the raw one on the majority side;
- the art. 278 verdict equals an independent integer computation in 0.01 m² units;
- grouping units into owner voters keeps every unit and all area and never splits an owner.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.votes.counting_helpers import PLANS, YES, YESNO_OPTIONS
from votes.counting import (
    CastBallot,
    OptionSpec,
    PollSpec,
    Result,
    UnitRecord,
    Voter,
    build_owner_voters,
    count,
    honest_percent,
)

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FOUR = (*PLANS, OptionSpec(14, "方案四", "", 3))


@st.composite
def specs(draw, kind=None, method=None, rule=None, deem=None) -> PollSpec:
    kind = kind or draw(st.sampled_from(["owners", "deliberative"]))
    if kind == "owners":
        method = method or draw(st.sampled_from(["yesno", "single", "approval"]))
        rule = rule or draw(st.sampled_from(["owners_ordinary", "owners_special"]))
        deem = draw(st.booleans()) if deem is None else deem
        extra = {"deem_nonvoters": deem, "deem_clause": "议事规则第九条"}
    else:
        method = method or draw(st.sampled_from(["yesno", "single", "approval", "ranked"]))
        rule = rule or draw(st.sampled_from(["plurality", "majority"]))
        den = draw(st.integers(2, 10))
        extra = {
            "majority": (draw(st.integers(1, den - 1)), den),
            "majority_inclusive": draw(st.booleans()),
        }
    options = YESNO_OPTIONS if method == "yesno" else FOUR[: draw(st.integers(2, 4))]
    return PollSpec(kind=kind, method=method, rule=rule, options=options, **extra)


def _choice(draw, spec: PollSpec, favourite: int) -> dict:
    ids = [o.id for o in spec.options]
    if spec.method in ("single", "yesno"):
        # Half the voters follow a favourite, so that passes are common enough to test.
        return {"choice": favourite if draw(st.booleans()) else draw(st.sampled_from(ids))}
    if spec.method == "approval":
        return {"choices": sorted(draw(st.sets(st.sampled_from(ids))))}
    return {"ranking": draw(st.permutations(ids))[: draw(st.integers(0, len(ids)))]}


@st.composite
def scenarios(draw, spec_strategy=None):
    spec = draw(spec_strategy if spec_strategy is not None else specs())
    n = draw(st.integers(1, 24))
    if spec.kind == "owners":
        cents = draw(st.lists(st.integers(1, 30_000), min_size=n, max_size=n))
    else:
        cents = [0] * n
    voters = [
        Voter(key=f"v{i}", headcount=1, area=Decimal(c).scaleb(-2)) for i, c in enumerate(cents)
    ]
    channels = ["online", "paper", "proxy", "in_person"]
    favourite = draw(st.sampled_from([o.id for o in spec.options]))
    ballots = []
    for voter in voters:
        if draw(st.integers(0, 3)) == 0:
            continue  # a non-voter
        ballots.append(
            CastBallot(
                voter_key=voter.key,
                choice=_choice(draw, spec, favourite),
                headcount=1,
                area=voter.area,
                channel=draw(st.sampled_from(channels)),
            )
        )
    return spec, voters, ballots


def _cents(value: Decimal | Fraction) -> int:
    scaled = Fraction(value) * 100
    assert scaled.denominator == 1
    return scaled.numerator


# --------------------------------------------------------------------------------------------


@SETTINGS
@given(scenarios())
def test_tallies_add_up(case):
    spec, voters, ballots = case
    result = count(spec, voters, ballots)
    raw = result.raw
    ht, at = len(voters), sum(Fraction(v.area) for v in voters)
    assert result.electorate_headcount == ht and result.electorate_area == at
    assert raw.participating_ballots == len(ballots)
    assert raw.participating_headcount == sum(b.headcount for b in ballots) <= ht
    assert raw.participating_area == sum(Fraction(b.area) for b in ballots) <= at
    assert sum(result.by_channel.values()) == len(ballots)
    if spec.method in ("single", "yesno"):
        assert sum(o.ballots for o in raw.options) == len(ballots)
        assert sum(o.headcount for o in raw.options) == raw.participating_headcount
        assert sum(o.area for o in raw.options) == raw.participating_area
    else:
        for option in raw.options:
            assert option.headcount <= raw.participating_headcount
            assert option.area <= raw.participating_area
    if spec.method == "ranked":
        for rnd in result.rounds:
            counted = sum(h for _, h in rnd.counts) + rnd.exhausted_headcount
            assert counted == raw.participating_headcount
    assert result.verdict in ("passed", "failed", "no_verdict", "undecided")
    if result.verdict == "passed":
        assert len(result.winners) == 1 and not result.tie
    if result.verdict == "undecided":
        assert not result.winners and len(result.tie) >= 2


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_ballot_order(case, rnd):
    spec, voters, ballots = case
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    voters_shuffled = list(voters)
    rnd.shuffle(voters_shuffled)
    assert (
        count(spec, voters_shuffled, shuffled).to_dict() == count(spec, voters, ballots).to_dict()
    )


def _approving_choice(spec: PollSpec, result: Result) -> dict:
    if spec.method == "yesno":
        return {"choice": YES}
    winner = result.winners[0]
    if spec.method == "single":
        return {"choice": winner}
    if spec.method == "approval":
        return {"choices": [winner]}
    return {"ranking": [winner]}


@SETTINGS
@given(scenarios(), st.data())
def test_one_more_approving_ballot_never_turns_pass_into_fail(case, data):
    _check_monotonic(case, data)


@SETTINGS
@given(scenarios(specs(kind="owners")), st.data())
def test_one_more_approving_ballot_never_turns_an_owners_pass_into_fail(case, data):
    _check_monotonic(case, data)


def _check_monotonic(case, data):
    spec, voters, ballots = case
    before = count(spec, voters, ballots)
    event(f"{spec.kind} {spec.method} before: {before.verdict}")
    if before.verdict != "passed":
        return
    voted = {b.voter_key for b in ballots}
    approving = _approving_choice(spec, before)
    absent = [v for v in voters if v.key not in voted]
    variants = []
    if absent:  # a non-voter comes and approves
        voter = data.draw(st.sampled_from(absent))
        variants.append([*ballots, CastBallot(voter.key, approving, 1, voter.area, "paper")])
    # a voter who did not approve now approves (for yes/no and single polls)
    if spec.method in ("yesno", "single"):
        others = [i for i, b in enumerate(ballots) if b.choice != approving]
        if others:
            i = data.draw(st.sampled_from(others))
            changed = list(ballots)
            changed[i] = CastBallot(
                ballots[i].voter_key, approving, 1, ballots[i].area, ballots[i].channel
            )
            variants.append(changed)
    for variant in variants:
        after = count(spec, voters, variant)
        assert after.verdict == "passed", (before.to_dict()["reasons"], after.to_dict()["reasons"])
        assert after.winners == before.winners


@SETTINGS
@given(scenarios(specs(kind="owners", deem=True)))
def test_deemed_tally_is_at_least_raw_on_the_majority_side(case):
    spec, voters, ballots = case
    result = count(spec, voters, ballots)
    assert result.deemed is not None and result.decided_by == "deemed"
    majority = result.deemed_majority
    for raw_option, deemed_option in zip(result.raw.options, result.deemed.options, strict=True):
        assert deemed_option.ballots == raw_option.ballots
        if raw_option.id == majority:
            assert deemed_option.headcount >= raw_option.headcount
            assert deemed_option.area >= raw_option.area
            assert deemed_option.headcount == raw_option.headcount + result.nonvoters_headcount
        else:
            assert (deemed_option.headcount, deemed_option.area) == (
                raw_option.headcount,
                raw_option.area,
            )
    if majority is not None:
        assert result.deemed.participating_headcount == result.electorate_headcount
        assert result.deemed.participating_area == result.electorate_area
        # The majority leads the cast ballots in both measures.
        lead = result.raw.option(majority)
        for option in result.raw.options:
            if option.id != majority:
                assert lead.headcount > option.headcount and lead.area > option.area


@SETTINGS
@given(scenarios(specs(kind="owners", deem=False)))
def test_owners_verdict_matches_integer_oracle(case):
    """An independent computation of art. 278 in integers (areas in 0.01 m²)."""
    spec, voters, ballots = case
    result = count(spec, voters, ballots)
    ht, at = len(voters), sum(_cents(v.area) for v in voters)
    hp, ap = len(ballots), sum(_cents(b.area) for b in ballots)
    if not (3 * hp >= 2 * ht and 3 * ap >= 2 * at):
        assert result.verdict == "no_verdict"
        return
    ids = [YES] if spec.method == "yesno" else [o.id for o in spec.options]
    adopted = []
    for option_id in ids:
        chosen = [
            b for b in ballots if option_id in (b.choice.get("choices") or [b.choice.get("choice")])
        ]
        hy, ay = len(chosen), sum(_cents(b.area) for b in chosen)
        if spec.rule == "owners_special":
            ok = 4 * hy >= 3 * hp and 4 * ay >= 3 * ap
        else:
            ok = 2 * hy > hp and 2 * ay > ap
        if ok:
            adopted.append((hy, ay, option_id))
    assert {o.id for o in result.raw.options if o.adopted} == {a[2] for a in adopted}
    if not adopted:
        assert result.verdict == "failed"
    elif len(adopted) == 1:
        assert result.verdict == "passed" and result.winners == (adopted[0][2],)
    else:
        best = max(a[:2] for a in adopted)
        leaders = [a[2] for a in adopted if a[:2] == best]
        if len(leaders) == 1:
            assert result.winners == (leaders[0],)
        else:
            assert result.verdict == "undecided" and set(result.tie) == set(leaders)
    if spec.rule == "owners_ordinary" and spec.method != "approval":
        assert len(adopted) <= 1  # more than half can hold for one option only


@SETTINGS
@given(scenarios(specs(kind="deliberative", method="ranked")), st.randoms())
def test_run_off_does_not_depend_on_option_order(case, rnd):
    spec, voters, ballots = case
    orders = list(range(len(spec.options)))
    rnd.shuffle(orders)
    reordered = PollSpec(
        **{
            **spec.__dict__,
            "options": tuple(
                OptionSpec(o.id, o.label, o.meaning, k)
                for o, k in zip(spec.options, orders, strict=True)
            ),
        }
    )
    first, second = count(spec, voters, ballots), count(reordered, voters, ballots)
    assert first.verdict == second.verdict
    assert first.winners == second.winners
    assert set(first.tie) == set(second.tie)


@SETTINGS
@given(scenarios(specs(kind="deliberative", method="ranked", rule="plurality")))
def test_majority_of_first_preferences_wins_the_run_off(case):
    spec, voters, ballots = case
    result = count(spec, voters, ballots)
    firsts = [o for o in result.raw.options if 2 * o.headcount > len(ballots)]
    if firsts:
        assert result.winners == (firsts[0].id,)
        assert len(result.rounds) == 1


@SETTINGS
@given(
    st.fractions(min_value=0, max_value=1, max_denominator=10**7),
    st.sampled_from([Fraction(1, 2), Fraction(2, 3), Fraction(3, 4), Fraction(3, 5)]),
    st.booleans(),
)
def test_displayed_percent_never_contradicts_the_comparison(value, required, inclusive):
    met = value >= required if inclusive else value > required
    shown = Fraction(Decimal(honest_percent(value, required, met=met, inclusive=inclusive)))
    target = required * 100
    if met:
        assert shown >= target if inclusive else shown > target
    else:
        assert shown < target if inclusive else shown <= target
    assert abs(shown - value * 100) <= Fraction(1, 20)  # never further off than display rounding


@st.composite
def estates(draw):
    n = draw(st.integers(1, 20))
    units = [
        UnitRecord(
            id=i + 1,
            area=Decimal(draw(st.integers(1, 20_000))).scaleb(-2),
            unsold=draw(st.integers(0, 5)) == 0,
            label=f"1-{i + 1}",
        )
        for i in range(n)
    ]
    pairs = draw(
        st.lists(st.tuples(st.integers(1, n), st.integers(100, 108)), unique=True, max_size=30)
    )
    return units, pairs


@SETTINGS
@given(estates())
def test_owner_grouping_conserves_area_and_never_splits_an_owner(estate):
    units, pairs = estate
    voters = build_owner_voters(units, pairs)
    voter_of_unit = {u.id: v for v in voters for u in v.units}
    assert sorted(voter_of_unit) == sorted(u.id for u in units)  # every unit exactly once
    assert sum(len(v.units) for v in voters) == len(units)
    assert sum(Fraction(v.area) for v in voters) == sum(Fraction(u.area) for u in units)
    assert all(v.headcount == 1 for v in voters)
    assert len({v.key for v in voters}) == len(voters)
    unsold = {u.id for u in units if u.unsold}
    developer = [v for v in voters if v.key == "dev"]
    assert len(developer) == (1 if unsold else 0)
    if developer:
        assert {u.id for u in developer[0].units} == unsold
    sold_owner_voters: dict[int, set[str]] = {}
    for unit_id, owner in pairs:
        if unit_id not in unsold:
            sold_owner_voters.setdefault(owner, set()).add(voter_of_unit[unit_id].key)
            assert owner in voter_of_unit[unit_id].user_ids
    # A person owning sold units is in exactly one voter: counted once.
    assert all(len(keys) == 1 for keys in sold_owner_voters.values())
    # A voter of sold units holds more than one unit only if they are linked through owners.
    for voter in voters:
        if voter.key != "dev" and len(voter.units) > 1:
            assert voter.user_ids
