"""Rules declared per vote: the change policy (never, once, until close), every version kept
and verifiable, only the last counted; the rules fixed once the poll opens."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.factories.base import CommunityFactory
from tests.factories.votes import option_id, owners_estate, owners_poll, resident_poll, residents
from votes import services
from votes.exceptions import PollFrozen, VoteRefused
from votes.models import (
    Ballot,
    BallotChannel,
    BallotVersion,
    ChangePolicy,
    Participation,
    Poll,
    Secrecy,
)
from votes.selectors import poll_chain_problem
from votes.tally import poll_tally

pytestmark = pytest.mark.django_db


def refusal(**kwargs) -> str:
    with pytest.raises(VoteRefused) as info:
        services.ballot_cast(**kwargs)
    return info.value.code


@pytest.fixture
def community():
    return CommunityFactory()


def test_default_policy_is_never_and_a_second_ballot_is_refused(community):
    voter = residents(community, 1)[0]
    poll = resident_poll(community)
    assert poll.frozen_spec["change_policy"] == ChangePolicy.NEVER
    services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    assert refusal(poll=poll, voter=voter, choice={"choice": option_id(poll, 1)}) == (
        "already_voted"
    )
    assert not BallotVersion.objects.filter(poll=poll).exists()


def test_change_once_then_second_change_refused(community):
    voter = residents(community, 1)[0]
    poll = resident_poll(community, change_policy=ChangePolicy.ONCE)
    first = services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    second = services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll, 1)})
    assert second.seq == 2 and second.receipt != first.receipt
    assert refusal(poll=poll, voter=voter, choice={"choice": option_id(poll, 2)}) == (
        "change_limit"
    )
    counted = Ballot.objects.get(poll=poll)
    assert counted.choice == {"choice": option_id(poll, 1)} and counted.version == 2
    assert list(BallotVersion.objects.filter(poll=poll).values_list("version", "seq")) == [(1, 1)]
    assert poll_chain_problem(poll) is None


def test_until_close_last_counts_and_chain_verifies(community, capsys):
    voters = residents(community, 3)
    poll = resident_poll(community, change_policy=ChangePolicy.UNTIL_CLOSE)
    services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    services.ballot_cast(poll=poll, voter=voters[1], choice={"choice": option_id(poll)})
    for index in (1, 2, 1, 2):
        services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll, index)})
    assert Ballot.objects.filter(poll=poll).count() == 2
    assert Participation.objects.filter(poll=poll).count() == 2
    assert BallotVersion.objects.filter(poll=poll).count() == 4
    assert Ballot.objects.get(poll=poll, voter_key=f"p{voters[0].pk}").version == 5
    tally = poll_tally(Poll.objects.get(pk=poll.pk))
    counts = {row["id"]: row["headcount"] for row in tally["options"]}
    assert counts[option_id(poll)] == 1 and counts[option_id(poll, 2)] == 1
    assert counts[option_id(poll, 1)] == 0
    closed = services.poll_close(poll=poll, actor=None)
    assert poll_chain_problem(closed) is None
    call_command("verify_ballots", str(poll.pk))  # raises CommandError on any misfit
    assert "6" in capsys.readouterr().out  # six links: two first ballots and four changes


def test_changed_ballot_rewritten_in_database_is_detected(community):
    voter = residents(community, 1)[0]
    poll = resident_poll(community, change_policy=ChangePolicy.UNTIL_CLOSE)
    services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll, 1)})
    # Someone swaps the superseded version's choice back in: the chain names it.
    BallotVersion.objects.filter(poll=poll).update(choice={"choice": option_id(poll, 2)})
    problem = poll_chain_problem(poll)
    assert problem is not None and problem.reason == "content_changed" and problem.seq == 1


def test_secret_poll_cannot_declare_changes(community):
    residents(community, 1)
    with pytest.raises(ValidationError) as info:
        resident_poll(community, secrecy=Secrecy.SECRET, change_policy=ChangePolicy.ONCE)
    assert "change_policy" in info.value.message_dict


def test_rules_cannot_change_once_open(community):
    residents(community, 1)
    poll = resident_poll(community)
    for field, value in (
        ("change_policy", ChangePolicy.UNTIL_CLOSE),
        ("receipts_enabled", False),
        ("public_ballot_list", True),
    ):
        with pytest.raises(PollFrozen):
            services.poll_update(poll=poll, actor=None, **{field: value})
    draft = resident_poll(community, open_now=False)
    services.poll_update(poll=draft, actor=None, change_policy=ChangePolicy.ONCE)
    opened = services.poll_open(poll=draft, actor=None)
    assert opened.frozen_spec["change_policy"] == ChangePolicy.ONCE
    assert opened.events.get(kind="opened").data["change_policy"] == ChangePolicy.ONCE


def test_staff_may_enter_the_change_on_paper_for_an_owner():
    estate = owners_estate(single_units=3)
    poll = owners_poll(estate, change_policy=ChangePolicy.ONCE)
    owner = estate.owners[0]
    services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll)})
    key = Ballot.objects.get(poll=poll).voter_key
    services.ballot_cast(
        poll=poll,
        voter=key,
        choice={"choice": option_id(poll, 1)},
        channel=BallotChannel.PAPER,
        entered_by=estate.staff,
    )
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.channel == BallotChannel.PAPER and ballot.entered_by == estate.staff
    assert Participation.objects.get(poll=poll).channel == BallotChannel.PAPER
    assert poll_chain_problem(poll) is None
