"""A ballot's request repeated with the same ``ref`` gets its original receipt (issue 16, point 5).

The client whose acknowledgement was lost (the worker died between commit and send) cannot tell
whether its ballot counted; re-sending the same request must answer with the receipt it would
have got, never cast a second ballot, and never hand a receipt to anyone else.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories.base import CommunityFactory
from tests.factories.votes import option_id, resident_poll, residents
from votes import audit, services
from votes.exceptions import VoteRefused
from votes.models import Ballot, Participation, Secrecy
from votes.services import CastRequest, ballots_cast_batch

pytestmark = pytest.mark.django_db


def cast(poll, voter, choice, ref):
    return ballots_cast_batch(
        [CastRequest(poll_id=poll.pk, choice=choice, voter_id=voter.pk, ref=ref)]
    )[0]


@pytest.mark.parametrize("secrecy", [Secrecy.NAMED, Secrecy.SECRET])
def test_same_ref_and_choice_again_gets_the_original_receipt(secrecy):
    community = CommunityFactory()
    voters = residents(community, 3)
    poll = resident_poll(community, secrecy=secrecy)
    choice = {"choice": option_id(poll, 1)}
    first = cast(poll, voters[0], choice, "c7-k3x9")
    again = cast(poll, voters[0], choice, "c7-k3x9")
    assert first.receipt is not None and not first.replayed
    assert again.replayed and again.receipt == first.receipt  # receipt, seq and hash
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert Participation.objects.filter(poll=poll).count() == 1


def test_another_ref_another_choice_or_no_ref_is_already_voted():
    community = CommunityFactory()
    voters = residents(community, 2)
    poll = resident_poll(community)
    choice = {"choice": option_id(poll)}
    assert cast(poll, voters[0], choice, "r1").receipt is not None
    assert cast(poll, voters[0], choice, "r2").code == "already_voted"
    assert cast(poll, voters[0], {"choice": option_id(poll, 1)}, "r1").code == "already_voted"
    assert cast(poll, voters[0], choice, None).code == "already_voted"
    # An int ref is not the string of its digits.
    assert cast(poll, voters[1], choice, 5).receipt is not None
    assert cast(poll, voters[1], choice, "5").code == "already_voted"
    assert cast(poll, voters[1], choice, 5).replayed


def test_a_ref_opens_only_its_own_voters_receipt():
    """Two voters using the same ref (the page numbers its frames): each gets their own."""
    community = CommunityFactory()
    voters = residents(community, 2)
    poll = resident_poll(community)
    choice = {"choice": option_id(poll)}
    mine = cast(poll, voters[0], choice, "c1")
    theirs = cast(poll, voters[1], choice, "c1")
    assert mine.receipt != theirs.receipt
    assert cast(poll, voters[0], choice, "c1").receipt == mine.receipt
    assert cast(poll, voters[1], choice, "c1").receipt == theirs.receipt


def test_a_ballot_cast_without_ref_is_already_voted_whatever_ref_comes_later():
    community = CommunityFactory()
    voters = residents(community, 1)
    poll = resident_poll(community)
    choice = {"choice": option_id(poll)}
    services.ballot_cast(poll=poll, voter=voters[0], choice=choice)
    assert Participation.objects.get(poll=poll).ref_seal == ""
    assert cast(poll, voters[0], choice, "c1").code == "already_voted"


def test_ballot_cast_takes_a_ref_too():
    community = CommunityFactory()
    voters = residents(community, 1)
    poll = resident_poll(community)
    choice = {"choice": option_id(poll)}
    first = services.ballot_cast(poll=poll, voter=voters[0], choice=choice, ref="form-1")
    assert services.ballot_cast(poll=poll, voter=voters[0], choice=choice, ref="form-1") == first
    with pytest.raises(VoteRefused) as refused:
        services.ballot_cast(poll=poll, voter=voters[0], choice=choice, ref="form-2")
    assert refused.value.code == "already_voted"


def test_the_seal_shows_nothing_without_ref_and_key_and_is_emptied_on_close():
    """Secret polls: the participation row must not carry the receipt (which names the ballot)
    in any readable form, and the seal lives only while the poll is open."""
    community = CommunityFactory()
    voters = residents(community, 2)
    poll = resident_poll(community, secrecy=Secrecy.SECRET)
    choice = {"choice": option_id(poll)}
    first = cast(poll, voters[0], choice, "c1")
    assert first.receipt is not None
    row = Participation.objects.get(poll=poll, voter=voters[0])
    receipt = first.receipt.receipt
    compact = receipt.replace("-", "")
    assert row.ref_seal and receipt not in row.ref_seal and compact not in row.ref_seal.upper()
    assert first.receipt.hash[:20] not in row.ref_seal
    common = {"poll_id": poll.pk, "voter_key": row.voter_key, "choice_content": '{"choice":%d}'}
    content = common.pop("choice_content") % choice["choice"]
    key = audit.configured_chain_key()
    assert audit.ref_unseal(key, row.ref_seal, ref='"c1"', choice_content=content, **common) == (
        receipt
    )
    assert audit.ref_unseal(key, row.ref_seal, ref='"c2"', choice_content=content, **common) is None
    assert (
        audit.ref_unseal(b"another key", row.ref_seal, ref='"c1"', choice_content=content, **common)
        is None
    )

    services.poll_close(poll=poll, actor=None)
    assert set(Participation.objects.filter(poll=poll).values_list("ref_seal", flat=True)) == {""}


def test_a_batch_of_repeats_answers_in_one_query():
    community = CommunityFactory()
    voters = residents(community, 6)
    poll = resident_poll(community)
    choice = {"choice": option_id(poll)}
    requests = [
        CastRequest(poll_id=poll.pk, choice=choice, voter_id=v.pk, ref=f"c{i}")
        for i, v in enumerate(voters)
    ]
    first = ballots_cast_batch(requests)
    with CaptureQueriesContext(connection) as queries:
        again = ballots_cast_batch(requests)
    assert [o.receipt for o in again] == [o.receipt for o in first]
    assert all(o.replayed for o in again)
    assert sum("votes_ballot" in q["sql"] for q in queries.captured_queries) == 1
