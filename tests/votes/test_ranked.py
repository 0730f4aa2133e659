"""Instant run-off (ranked polls): rounds, exhausted ballots, the documented tie-break."""

from __future__ import annotations

import json

import pytest

from tests.votes.counting_helpers import ballot, persons
from votes.counting import CountingError, OptionSpec, PollSpec, count

A, B, C, D = 21, 22, 23, 24
CANDIDATES = (
    OptionSpec(A, "甲", "", 0),
    OptionSpec(B, "乙", "", 1),
    OptionSpec(C, "丙", "", 2),
    OptionSpec(D, "丁", "", 3),
)


def ranked_spec(rule: str = "plurality", options=CANDIDATES, **extra) -> PollSpec:
    return PollSpec("deliberative", "ranked", rule, tuple(options), **extra)


def run(rankings: list[list[int]], spec: PollSpec | None = None) -> dict:
    members = persons(len(rankings))
    cast = [ballot(m, {"ranking": r}) for m, r in zip(members, rankings, strict=True)]
    return count(spec or ranked_spec(), members, cast).to_dict()


def counts(data: dict, round_no: int) -> dict[int, int]:
    rnd = data["ranked"]["rounds"][round_no - 1]
    return {c["id"]: c["headcount"] for c in rnd["counts"]}


def test_majority_of_first_preferences_wins_in_round_one():
    data = run([[A, B]] * 3 + [[B, A]] * 2)
    assert data["verdict"] == "passed" and data["winners"] == [A]
    assert len(data["ranked"]["rounds"]) == 1
    assert counts(data, 1) == {A: 3, B: 2, C: 0, D: 0}
    assert data["ranked"]["rounds"][0]["eliminated"] == []


def test_transfers_after_elimination():
    # A 4, B 3, C 2 (C voters' next choice is B), D 0: D goes first, then C; B wins 5 to 4.
    data = run([[A]] * 4 + [[B, A]] * 3 + [[C, B]] * 2)
    rounds = data["ranked"]["rounds"]
    assert [r["eliminated"] for r in rounds] == [[D], [C], []]
    assert counts(data, 3) == {A: 4, B: 5}
    assert data["winners"] == [B]
    assert data["reasons"][0] == "即时决选：「乙」在最后一轮获得 5 票，超过继续有效票的半数"
    # Option counts are first preferences.
    assert [(o["id"], o["headcount"]) for o in data["options"]] == [(A, 4), (B, 3), (C, 2), (D, 0)]
    assert json.loads(json.dumps(data)) == data


def test_exhausted_ballots_are_reported_and_leave_the_majority_base():
    # A 4, B 3, C 2 who rank nobody else: after C goes, 2 ballots are exhausted and A wins with
    # 4 of the 7 continuing ballots (not of all 9).
    data = run([[A]] * 4 + [[B]] * 3 + [[C]] * 2, ranked_spec(options=CANDIDATES[:3]))
    last = data["ranked"]["rounds"][-1]
    assert last["exhausted_ballots"] == 2 and last["exhausted_headcount"] == 2
    assert data["ranked"]["exhausted_ballots"] == 2
    assert counts(data, 2) == {A: 4, B: 3}
    assert data["verdict"] == "passed" and data["winners"] == [A]
    assert data["participating"]["ballots"] == 9


def test_bottom_tie_broken_by_the_most_recent_earlier_round():
    # Round 1: A 7, B 5, C 4, D 1. D's ballot moves to C. Round 2: A 7, B 5, C 5: B and C tie
    # at the bottom; in round 1 C had fewer (4 < 5), so C goes. C's ballots go to B: B wins.
    rankings = [[A]] * 7 + [[B]] * 5 + [[C, B]] * 4 + [[D, C, B]]
    data = run(rankings)
    rounds = data["ranked"]["rounds"]
    assert counts(data, 2) == {A: 7, B: 5, C: 5}
    assert rounds[1]["eliminated"] == [C]
    assert counts(data, 3) == {A: 7, B: 10}
    assert data["winners"] == [B]


def test_tie_unbroken_by_history_eliminates_the_tied_together_not_by_list_order():
    rankings = [[A]] * 4 + [[D]] * 3 + [[B, D]] * 2 + [[C, D]] * 2
    data = run(rankings)
    assert data["ranked"]["rounds"][0]["eliminated"] == [B, C]
    assert counts(data, 2) == {A: 4, D: 7}
    assert data["winners"] == [D]
    # Listing the candidates in another order changes nothing.
    reordered = [OptionSpec(o.id, o.label, "", 10 - o.sort_order) for o in CANDIDATES]
    again = run(rankings, ranked_spec(options=reordered))
    assert again["winners"] == [D]
    assert sorted(again["ranked"]["rounds"][0]["eliminated"]) == [B, C]


def test_final_two_tied_in_last_round_decided_by_earlier_round():
    # Round 1: A 4, B 3, C 1 (C → B). Round 2: A 4, B 4: tied; in round 1 B had fewer, so B
    # goes; B's ballots rank nobody else and exhaust; A wins 4 of 4 continuing.
    data = run([[A]] * 4 + [[B]] * 3 + [[C, B]], ranked_spec(options=CANDIDATES[:3]))
    assert counts(data, 2) == {A: 4, B: 4}
    assert data["ranked"]["rounds"][1]["eliminated"] == [B]
    assert data["winners"] == [A]
    assert data["ranked"]["exhausted_ballots"] == 4


def test_tie_in_every_round_is_undecided():
    data = run([[A, B]] * 3 + [[B, A]] * 3, ranked_spec(options=CANDIDATES[:2]))
    assert data["verdict"] == "undecided"
    assert data["tie"] == [A, B] and data["winners"] == []
    assert data["reasons"] == ["即时决选中「甲」、「乙」在各轮得票均相同，未能决定"]
    three = run([[A]] * 2 + [[B]] * 2 + [[C]] * 2, ranked_spec(options=CANDIDATES[:3]))
    assert three["verdict"] == "undecided" and three["tie"] == [A, B, C]


def test_all_ballots_empty_is_no_verdict():
    data = run([[], []])
    assert data["verdict"] == "no_verdict"
    assert data["participating"]["headcount"] == 2
    assert data["ranked"]["exhausted_ballots"] == 2


def test_ranked_with_majority_rule_counts_the_winner_against_all_participants():
    # A wins the run-off 3 to 2 among continuing ballots, but 2 ballots exhausted: 3/7 ≤ 1/2.
    rankings = [[A]] * 3 + [[B]] * 2 + [[C]] * 2
    spec = ranked_spec("majority", options=CANDIDATES[:3], majority=(1, 2))
    data = run(rankings, spec)
    assert data["verdict"] == "failed" and data["winners"] == []
    assert data["thresholds"][0]["text"] == "「甲」最后一轮得票 3/7 = 42.9% ≤ 1/2"
    passing = run([[A]] * 4 + [[B]] * 2 + [[C, A]], spec)
    assert passing["verdict"] == "passed" and passing["winners"] == [A]


def test_partial_ranking_and_unknown_candidate_refused():
    with pytest.raises(CountingError, match="twice"):
        run([[A, A]])
    with pytest.raises(CountingError, match="outside the poll"):
        run([[A, 99]])
