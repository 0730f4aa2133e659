"""Secret polls: who took part is stored apart from what was chosen, and nothing links them."""

import pytest
from django.db import connection

from tests.factories.base import CommunityFactory, UserFactory
from tests.factories.votes import option_id, resident_poll, residents
from votes import services
from votes.exceptions import VoteRefused
from votes.models import Ballot, Participation, Secrecy
from votes.selectors import poll_chain_problem, poll_result_public

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_poll():
    community = CommunityFactory()
    voters = residents(community, 6)
    poll = resident_poll(community, secrecy=Secrecy.SECRET)
    return poll, voters


def test_ballot_rows_carry_no_voter_and_participation_no_choice(secret_poll):
    poll, voters = secret_poll
    staff = UserFactory(is_staff=True)
    services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll, 1)})
    services.ballot_cast(
        poll=poll,
        voter=f"p{voters[1].pk}",
        choice={"choice": option_id(poll, 2)},
        channel="paper",
        entered_by=staff,
    )
    for ballot in Ballot.objects.filter(poll=poll):
        assert ballot.voter_key is None
        assert ballot.channel == ""
        assert ballot.entered_by_id is None
    ballot_columns = {f.column for f in Ballot._meta.concrete_fields}
    assert not {"voter_id", "voter_key_hash", "created_at", "cast_at"} & ballot_columns
    participation_columns = {f.column for f in Participation._meta.concrete_fields}
    # No choice, no chain position, no hash, no timestamp, and a random key. ``ref_seal`` is
    # the receipt sealed under the client's ref and the chain key: random without both
    # (tests/votes/test_ref_replay.py), emptied when the poll closes.
    assert participation_columns == {
        "ref_seal",
        "id",
        "poll_id",
        "voter_key",
        "voter_id",
        "channel",
        "entered_by_id",
        "proxy_note",
    }
    assert Participation._meta.pk.get_internal_type() == "UUIDField"
    assert set(Participation.objects.filter(poll=poll).values_list("voter_key", flat=True)) == {
        f"p{voters[0].pk}",
        f"p{voters[1].pk}",
    }
    assert poll_chain_problem(poll) is None


def test_no_column_joins_a_participation_to_a_ballot(secret_poll):
    """Every column two rows share is either the poll or a value common to all rows."""
    poll, voters = secret_poll
    for voter in voters[:4]:
        services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT voter_key, choice, seq, hash, receipt FROM votes_ballot WHERE poll_id = %s",
            [poll.pk],
        )
        ballots = cursor.fetchall()
        cursor.execute(
            "SELECT id, voter_key, channel FROM votes_participation WHERE poll_id = %s",
            [poll.pk],
        )
        participations = cursor.fetchall()
    ballot_values = {str(v) for row in ballots for v in row if v is not None}
    for pid, key, _channel in participations:
        assert str(pid) not in ballot_values
        assert key not in ballot_values
    assert all(row[0] is None for row in ballots)


def test_one_vote_each_is_still_enforced(secret_poll):
    poll, voters = secret_poll
    services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    with pytest.raises(VoteRefused) as info:
        services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    assert info.value.code == "already_voted"
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_result_lists_receipts_and_channels_not_voters(secret_poll):
    poll, voters = secret_poll
    staff = UserFactory(is_staff=True)
    receipts = [
        services.ballot_cast(poll=poll, voter=v, choice={"choice": option_id(poll, i % 2)}).receipt
        for i, v in enumerate(voters[:3])
    ]
    services.ballot_cast(
        poll=poll,
        voter=f"p{voters[3].pk}",
        choice={"choice": option_id(poll)},
        channel="paper",
        entered_by=staff,
    )
    assert poll_result_public(poll)["receipts"] is None  # not while the poll runs
    closed = services.poll_close(poll=poll, actor=staff)
    data = poll_result_public(closed)
    assert set(receipts) <= set(data["receipts"])
    assert data["receipts"] == sorted(data["receipts"])
    assert closed.result["by_channel"] == {"online": 3, "paper": 1}
    assert closed.result["participating"]["ballots"] == 4
    assert "voter" not in str(data["receipts"])
