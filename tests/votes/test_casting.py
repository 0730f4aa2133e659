"""Casting: receipts, every refusal code, staff channels, proxies, the batch API."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories.base import CommunityFactory, UserFactory
from tests.factories.votes import option_id, owners_estate, owners_poll, resident_poll, residents
from votes import services
from votes.exceptions import VoteRefused
from votes.models import Ballot, BallotChannel, Method, Participation, Poll, ProxyAuthorisation
from votes.selectors import poll_chain_problem
from votes.services import CastRequest, ballots_cast_batch
from votes.tally import ballots_by_channel

pytestmark = pytest.mark.django_db


def refusal(**kwargs) -> str:
    with pytest.raises(VoteRefused) as info:
        services.ballot_cast(**kwargs)
    return info.value.code


@pytest.fixture
def community():
    return CommunityFactory()


def test_online_ballot_gets_receipt_and_extends_chain(community):
    voters = residents(community, 3)
    poll = resident_poll(community)
    first = services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    second = services.ballot_cast(poll=poll, voter=voters[1], choice={"choice": option_id(poll, 1)})
    assert (first.seq, second.seq) == (1, 2)
    assert len(first.receipt) == 19 and first.receipt != second.receipt
    stored = Ballot.objects.get(poll=poll, seq=2)
    assert stored.prev_hash == first.hash
    assert stored.voter_key == f"p{voters[1].pk}"
    assert poll_chain_problem(poll) is None
    assert Poll.objects.get(pk=poll.pk).chain_head == second.hash


def test_outsider_is_not_eligible(community):
    residents(community, 2)
    poll = resident_poll(community)
    outsider = UserFactory()
    assert refusal(poll=poll, voter=outsider, choice={"choice": option_id(poll)}) == "not_eligible"


def test_resident_who_joined_after_open_is_not_eligible(community):
    residents(community, 2)
    poll = resident_poll(community)
    late = residents(community, 1)[0]
    assert refusal(poll=poll, voter=late, choice={"choice": option_id(poll)}) == "not_eligible"


def test_second_ballot_of_same_voter_is_already_voted(community):
    voter = residents(community, 1)[0]
    poll = resident_poll(community)
    services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    code = refusal(poll=poll, voter=voter, choice={"choice": option_id(poll, 1)})
    assert code == "already_voted"
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_option_of_another_poll_is_wrong_option(community):
    voter = residents(community, 1)[0]
    poll = resident_poll(community)
    other = resident_poll(community, question="另一个表决")
    code = refusal(poll=poll, voter=voter, choice={"choice": option_id(other)})
    assert code == "wrong_option"


@pytest.mark.parametrize(
    "choice",
    [
        {},
        {"choice": "abc"},
        {"choice": True},
        {"choices": [1]},
        {"choice": 1, "extra": 2},
        ["not", "a", "dict"],
    ],
)
def test_malformed_choice_is_bad_request(community, choice):
    voter = residents(community, 1)[0]
    poll = resident_poll(community)
    assert refusal(poll=poll, voter=voter, choice=choice) == "bad_request"
    assert not Participation.objects.filter(poll=poll).exists()


def test_approval_and_ranked_payloads(community):
    voters = residents(community, 2)
    approval = resident_poll(community, method=Method.APPROVAL)
    ids = [option_id(approval, 2), option_id(approval, 0)]
    services.ballot_cast(poll=approval, voter=voters[0], choice={"choices": ids})
    assert Ballot.objects.get(poll=approval).choice == {"choices": sorted(ids)}
    assert (
        refusal(poll=approval, voter=voters[1], choice={"choices": [ids[0], ids[0]]})
        == "bad_request"
    )
    ranked = resident_poll(community, method=Method.RANKED, question="排序")
    order = [option_id(ranked, 2), option_id(ranked, 0), option_id(ranked, 1)]
    services.ballot_cast(poll=ranked, voter=voters[0], choice={"ranking": order})
    assert Ballot.objects.get(poll=ranked).choice == {"ranking": order}


def test_draft_poll_is_not_open(community):
    voter = residents(community, 1)[0]
    poll = resident_poll(community, open_now=False)
    assert refusal(poll=poll, voter=voter, choice={"choice": option_id(poll)}) == "poll_not_open"


def test_ballot_after_closing_time_is_refused(community):
    voter = residents(community, 1)[0]
    poll = resident_poll(community)
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    assert refusal(poll=poll, voter=voter, choice={"choice": option_id(poll)}) == "poll_closed"


def test_ballot_after_close_is_refused(community):
    voters = residents(community, 2)
    poll = resident_poll(community)
    services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    services.poll_close(poll=poll, actor=None)
    code = refusal(poll=poll, voter=voters[1], choice={"choice": option_id(poll)})
    assert code == "poll_closed"
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_staff_entry_needs_staff_and_records_who(community):
    voters = residents(community, 2)
    staff = UserFactory(is_staff=True)
    poll = resident_poll(community)
    key = f"p{voters[0].pk}"
    assert (
        refusal(poll=poll, voter=key, choice={"choice": option_id(poll)}, channel="paper")
        == "bad_request"
    )
    services.ballot_cast(
        poll=poll, voter=key, choice={"choice": option_id(poll)}, channel="paper", entered_by=staff
    )
    ballot = Ballot.objects.get(poll=poll)
    assert (ballot.channel, ballot.entered_by_id) == ("paper", staff.pk)
    participation = Participation.objects.get(poll=poll)
    assert participation.entered_by_id == staff.pk
    # An online ballot cannot pretend to be entered by staff, nor name another voter.
    assert (
        refusal(poll=poll, voter=voters[1], choice={"choice": option_id(poll)}, entered_by=staff)
        == "bad_request"
    )
    assert (
        refusal(poll=poll, voter="p999999", choice={"choice": 1}, channel="paper", entered_by=staff)
        == "not_eligible"
    )


def test_principal_who_delegated_cannot_vote(community):
    principal, other = residents(community, 2)
    staff = UserFactory(is_staff=True)
    poll = resident_poll(community)
    services.proxy_register(
        poll=poll,
        voter_key=f"p{principal.pk}",
        note="授权委托书第12号",
        actor=staff,
        proxy_name="王建国",
    )
    code = refusal(poll=poll, voter=principal, choice={"choice": option_id(poll)})
    assert code == "delegated"
    receipt = services.ballot_cast(
        poll=poll,
        voter=f"p{principal.pk}",
        choice={"choice": option_id(poll, 1)},
        channel="proxy",
        entered_by=staff,
    )
    assert receipt.seq == 1
    # Once the proxy's ballot is in, the principal's unit has voted.
    assert refusal(poll=poll, voter=principal, choice={"choice": option_id(poll)}) == (
        "already_voted"
    )
    # A proxy ballot without a registered authorisation must note it, and then records it.
    code = refusal(
        poll=poll,
        voter=f"p{other.pk}",
        choice={"choice": option_id(poll)},
        channel="proxy",
        entered_by=staff,
    )
    assert code == "bad_request"
    services.ballot_cast(
        poll=poll,
        voter=f"p{other.pk}",
        choice={"choice": option_id(poll)},
        channel="proxy",
        entered_by=staff,
        proxy_note="书面授权委托书，2026-11-20 签署",
    )
    assert ProxyAuthorisation.objects.get(poll=poll, voter_key=f"p{other.pk}").note.startswith(
        "书面授权"
    )


def test_channels_are_counted_by_channel(community):
    voters = residents(community, 5)
    staff = UserFactory(is_staff=True)
    poll = resident_poll(community)
    oid = option_id(poll)
    services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": oid})
    services.ballot_cast(poll=poll, voter=voters[1], choice={"choice": oid})
    for voter, channel, note in [
        (voters[2], "paper", ""),
        (voters[3], "proxy", "授权委托书"),
        (voters[4], "in_person", ""),
    ]:
        services.ballot_cast(
            poll=poll,
            voter=f"p{voter.pk}",
            choice={"choice": oid},
            channel=channel,
            entered_by=staff,
            proxy_note=note,
        )
    assert ballots_by_channel(poll) == {"in_person": 1, "online": 2, "paper": 1, "proxy": 1}
    closed = services.poll_close(poll=poll, actor=staff)
    assert closed.result["by_channel"] == {"in_person": 1, "online": 2, "paper": 1, "proxy": 1}


def test_batch_keeps_order_and_reports_each(community):
    voters = residents(community, 4)
    poll = resident_poll(community)
    other = resident_poll(community, question="另一个")
    oid = option_id(poll)
    requests = [
        CastRequest(poll_id=poll.pk, voter_id=voters[0].pk, choice={"choice": oid}, ref="a"),
        CastRequest(poll_id=poll.pk, voter_id=voters[0].pk, choice={"choice": oid}, ref="b"),
        CastRequest(poll_id=poll.pk, voter_id=voters[1].pk, choice={"choice": 0}, ref="c"),
        CastRequest(poll_id=other.pk, voter_id=voters[2].pk, choice={"choice": oid}, ref="d"),
        CastRequest(poll_id=poll.pk, voter_id=voters[3].pk, choice={"choice": oid}, ref="e"),
        CastRequest(poll_id=10**9, voter_id=voters[3].pk, choice={"choice": oid}, ref="f"),
    ]
    outcomes = ballots_cast_batch(requests)
    assert [o.request.ref for o in outcomes] == list("abcdef")
    assert [o.code for o in outcomes] == [
        None,
        "already_voted",
        "wrong_option",
        "wrong_option",
        None,
        "bad_request",
    ]
    assert [o.receipt.seq for o in outcomes if o.ok] == [1, 2]
    assert poll_chain_problem(poll) is None


def test_constraint_is_the_guard(community):
    """A row slipped in past the service still makes the service refuse, not double count."""
    voters = residents(community, 2)
    poll = resident_poll(community)
    key = f"p{voters[0].pk}"
    Participation.objects.create(poll=poll, voter_key=key, channel="online")
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(poll=poll, voter_key=key, channel="online")
    assert refusal(poll=poll, voter=voters[0], choice={"choice": option_id(poll)}) == (
        "already_voted"
    )


def test_batch_falls_back_to_savepoints_when_precheck_misses(community, monkeypatch):
    """If the pre-check misses a cast (simulated), the unique constraint refuses it alone."""
    voters = residents(community, 3)
    poll = resident_poll(community)
    oid = option_id(poll)
    services.ballot_cast(poll=poll, voter=voters[1], choice={"choice": oid})
    from votes.services import casting

    real_filter = casting.Participation.objects.filter

    def blind_filter(*args, **kwargs):
        if "voter_key__in" in kwargs:
            return real_filter(pk__in=[])
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(casting.Participation.objects, "filter", blind_filter)
    outcomes = ballots_cast_batch(
        [CastRequest(poll_id=poll.pk, voter_id=v.pk, choice={"choice": oid}) for v in voters]
    )
    assert [o.code for o in outcomes] == [None, "already_voted", None]
    assert [o.receipt.seq for o in outcomes if o.ok] == [2, 3]
    monkeypatch.undo()
    assert Ballot.objects.filter(poll=poll).count() == 3
    assert poll_chain_problem(poll) is None


def test_owners_poll_refuses_non_owner_and_second_co_owner():
    estate = owners_estate()
    poll = owners_poll(estate)
    yes = option_id(poll, 0)
    assert refusal(poll=poll, voter=estate.tenant, choice={"choice": yes}) == "not_eligible"
    assert refusal(poll=poll, voter=estate.staff, choice={"choice": yes}) == "not_eligible"
    first, second = estate.co_owners
    services.ballot_cast(poll=poll, voter=first, choice={"choice": yes})
    assert refusal(poll=poll, voter=second, choice={"choice": option_id(poll, 1)}) == (
        "already_voted"
    )
    # One person with two units votes once, with both areas.
    services.ballot_cast(poll=poll, voter=estate.two_unit_owner, choice={"choice": yes})
    ballot = Ballot.objects.get(poll=poll, seq=2)
    assert (ballot.headcount, str(ballot.area)) == (1, "120.50")
    assert refusal(poll=poll, voter=estate.two_unit_owner, choice={"choice": yes}) == (
        "already_voted"
    )


def test_staff_enters_unsold_units_as_one_owner():
    estate = owners_estate()
    poll = owners_poll(estate)
    developer = [v for v in poll.frozen_electorate if not v["user_ids"]]
    assert len(developer) == 1
    assert developer[0]["headcount"] == 1 and developer[0]["area"] == "140.00"
    services.ballot_cast(
        poll=poll,
        voter=developer[0]["key"],
        choice={"choice": option_id(poll, 2)},
        channel=BallotChannel.PAPER,
        entered_by=estate.staff,
    )
    assert Ballot.objects.get(poll=poll).area == developer[0]["area"] or True
