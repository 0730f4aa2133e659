"""Blank ballots: an owner takes part without supporting any option (docs/counting.md).

An empty approval set, an empty ranking, and 弃权 (``{"choice": null}``) on a single-choice
poll whose rule counts participation. A blank ballot counts in Hp/Ap and supports nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories.base import CommunityFactory
from tests.factories.votes import option_id, owners_estate, owners_poll, resident_poll, residents
from votes import counting, services
from votes.exceptions import VoteRefused
from votes.models import Ballot, Method, Participation, Rule

pytestmark = pytest.mark.django_db


# --- counting (pure) ---------------------------------------------------------------------------


def owners_spec(method: str = "single") -> counting.PollSpec:
    return counting.PollSpec(
        kind="owners",
        method=method,
        rule="owners_ordinary",
        options=(counting.OptionSpec(1, "方案一"), counting.OptionSpec(2, "方案二")),
    )


VOTERS = [counting.Voter(key=f"u{i}", area=Decimal("100.00")) for i in range(6)]


def cast(key: str, choice: dict) -> counting.CastBallot:
    return counting.CastBallot(voter_key=key, choice=choice, area=Decimal("100.00"))


@pytest.mark.parametrize(
    ("method", "blank"),
    [("single", {"choice": None}), ("approval", {"choices": []})],
)
def test_a_blank_ballot_takes_part_and_supports_nothing(method, blank):
    # 6 owners; 3 for plan 1, 1 blank: Hp = 4 ≥ 2/3·6, plan 1 has 3/4 > 1/2 and passes.
    first = {"choice": 1} if method == "single" else {"choices": [1]}
    ballots = [cast("u0", first), cast("u1", first), cast("u2", first), cast("u3", blank)]
    result = counting.count(owners_spec(method), VOTERS, ballots).to_dict()
    assert result["participating"]["headcount"] == 4
    assert result["participating"]["area"] == "400.00"
    counts = {row["id"]: row["headcount"] for row in result["options"]}
    assert counts == {1: 3, 2: 0}
    assert result["verdict"] == counting.Verdict.PASSED


def test_blank_ballots_can_carry_participation_but_not_approval():
    # Without the two blank ballots participation (2/6) falls short; with them (4/6) it is met,
    # and plan 1 then has 2 of 4 participating heads: exactly half, which is not 过半数.
    ballots = [
        cast("u0", {"choice": 1}),
        cast("u1", {"choice": 1}),
        cast("u2", {"choice": None}),
        cast("u3", {"choice": None}),
    ]
    result = counting.count(owners_spec(), VOTERS, ballots).to_dict()
    assert result["participating"]["headcount"] == 4
    assert result["verdict"] == counting.Verdict.FAILED
    short = counting.count(owners_spec(), VOTERS, ballots[:2]).to_dict()
    assert short["verdict"] == counting.Verdict.NO_VERDICT


def test_an_empty_ranking_is_counted_as_exhausted_participation():
    spec = counting.PollSpec(
        kind="deliberative",
        method="ranked",
        rule="majority",
        options=(counting.OptionSpec(1, "甲"), counting.OptionSpec(2, "乙")),
    )
    voters = [counting.Voter(key=f"p{i}") for i in range(3)]
    ballots = [
        counting.CastBallot(voter_key="p0", choice={"ranking": [1, 2]}),
        counting.CastBallot(voter_key="p1", choice={"ranking": [1]}),
        counting.CastBallot(voter_key="p2", choice={"ranking": []}),
    ]
    result = counting.count(spec, voters, ballots).to_dict()
    assert result["participating"]["headcount"] == 3
    assert result["winners"] == [1]  # 2 of 3 participating heads: more than half


def test_a_blank_single_choice_is_refused_where_participation_does_not_count():
    spec = counting.PollSpec(
        kind="deliberative",
        method="single",
        rule="plurality",
        options=(counting.OptionSpec(1, "甲"), counting.OptionSpec(2, "乙")),
    )
    with pytest.raises(counting.CountingError):
        counting.count(
            spec,
            [counting.Voter(key="p0")],
            [counting.CastBallot(voter_key="p0", choice={"choice": None})],
        )


def test_accepts_blank_per_method_and_rule():
    assert counting.accepts_blank("approval", "plurality")
    assert counting.accepts_blank("ranked", "plurality")
    assert counting.accepts_blank("single", "owners_ordinary")
    assert counting.accepts_blank("single", "owners_special")
    assert counting.accepts_blank("single", "majority")
    assert not counting.accepts_blank("single", "plurality")
    assert not counting.accepts_blank("yesno", "owners_ordinary")  # it has its own 弃权


# --- casting, closing, the stored result ---------------------------------------------------------


def test_owner_casts_a_blank_ballot_and_the_close_counts_it():
    estate = owners_estate(single_units=4)
    poll = owners_poll(estate, method=Method.SINGLE, options=["方案一", "方案二"])
    receipt = services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": None})
    assert receipt.seq == 1
    assert Ballot.objects.get(poll=poll).choice == {"choice": None}
    services.ballot_cast(poll=poll, voter=estate.owners[1], choice={"choice": option_id(poll)})
    closed = services.poll_close(poll=poll, actor=estate.staff)
    result = closed.result
    assert result["participating"]["ballots"] == 2
    assert result["participating"]["headcount"] == 2
    assert sum(row["ballots"] for row in result["options"]) == 1
    # The blank ballot is one ballot like any other: a second one for the same owner is refused.
    with pytest.raises(VoteRefused):
        services.ballot_cast(poll=poll, voter=estate.owners[0], choice={"choice": None})


def test_blank_approval_and_ranking_are_accepted():
    community = CommunityFactory()
    voters = residents(community, 2)
    approval = resident_poll(community, method=Method.APPROVAL)
    ranked = resident_poll(community, method=Method.RANKED, question="排序")
    services.ballot_cast(poll=approval, voter=voters[0], choice={"choices": []})
    services.ballot_cast(poll=ranked, voter=voters[0], choice={"ranking": []})
    assert Ballot.objects.get(poll=approval).choice == {"choices": []}
    assert Ballot.objects.get(poll=ranked).choice == {"ranking": []}
    assert Participation.objects.filter(voter_key__isnull=False).count() == 2


@pytest.mark.parametrize(
    ("method", "rule"), [(Method.SINGLE, Rule.PLURALITY), (Method.YESNO, Rule.MAJORITY)]
)
def test_blank_single_choice_is_refused_where_it_means_nothing(method, rule):
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    poll = resident_poll(community, method=method, rule=rule)
    with pytest.raises(VoteRefused) as info:
        services.ballot_cast(poll=poll, voter=voter, choice={"choice": None})
    assert info.value.code == "bad_request"
    assert "一个选项" in info.value.message
    assert not Participation.objects.filter(poll=poll).exists()


# --- the JSON API ---------------------------------------------------------------------------------


def test_api_accepts_a_blank_ballot_where_the_rule_counts_participation(client):
    community = CommunityFactory()
    voters = residents(community, 2)
    poll = resident_poll(community, rule=Rule.MAJORITY)
    client.force_login(voters[0])
    url = f"/api/polls/{poll.pk}/ballots/"
    response = client.post(url, data=json.dumps({"choice": None}), content_type="application/json")
    assert response.status_code == 201, response.content
    assert Ballot.objects.get(poll=poll).choice == {"choice": None}

    plurality = resident_poll(community, question="相对多数")
    response = client.post(
        f"/api/polls/{plurality.pk}/ballots/",
        data=json.dumps({"choice": None}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_api_accepts_an_empty_approval_set(client):
    community = CommunityFactory()
    voters = residents(community, 1)
    poll = resident_poll(community, method=Method.APPROVAL)
    client.force_login(voters[0])
    response = client.post(
        f"/api/polls/{poll.pk}/ballots/",
        data=json.dumps({"choices": []}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


# --- the ballot page -----------------------------------------------------------------------------


def test_ballot_page_offers_the_blank_ballot_explicitly_and_never_infers_it(client):
    community = CommunityFactory()
    voters = residents(community, 2)
    poll = resident_poll(community, rule=Rule.MAJORITY)
    client.force_login(voters[0])
    page = client.get(reverse("poll-detail", args=[community.slug, poll.pk])).content.decode()
    assert 'value="blank"' in page and "弃权(空白票)" in page
    assert "它计入参与表决的票数" in page  # what a blank ballot means
    client.post(reverse("poll-vote", args=[community.slug, poll.pk]), {"choice": "blank"})
    assert Ballot.objects.get(poll=poll).choice == {"choice": None}

    approval = resident_poll(community, method=Method.APPROVAL, question="多选")
    vote = reverse("poll-vote", args=[community.slug, approval.pk])
    client.force_login(voters[1])
    refused = client.post(vote, {}, follow=True).content.decode()
    assert "请明确选择“空白票”" in refused
    assert not Ballot.objects.filter(poll=approval).exists()
    client.post(vote, {"blank": "1"})
    assert Ballot.objects.get(poll=approval).choice == {"choices": []}

    plurality = resident_poll(community, question="相对多数")
    page = client.get(reverse("poll-detail", args=[community.slug, plurality.pk])).content.decode()
    assert "空白票" not in page
