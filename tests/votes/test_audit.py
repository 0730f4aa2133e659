"""The ballot hash chain: raw-SQL edits, deletions and insertions are detected and named."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.factories.base import CommunityFactory
from tests.factories.votes import option_id, resident_poll, residents
from votes import audit, services
from votes.models import Ballot, ChainHeadPublication, ChainScheme, Poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll_with_ballots():
    community = CommunityFactory()
    voters = residents(community, 6)
    poll = resident_poll(community)
    for i, voter in enumerate(voters[:5]):
        services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll, i % 3)})
    return poll, voters


def run_verify(poll) -> str:
    with pytest.raises(CommandError) as info:
        call_command("verify_ballots", str(poll.pk))
    return str(info.value)


def make_unkeyed(poll) -> None:
    """Turn ``poll`` into one opened before keyed chains (no MACs, the migration's mark)."""
    legacy = audit.legacy_mac(audit.configured_chain_key(), poll_id=poll.pk)
    Poll.objects.filter(pk=poll.pk).update(chain_scheme=ChainScheme.UNKEYED, chain_head_mac=legacy)
    Ballot.objects.filter(poll=poll).update(mac="")
    ChainHeadPublication.objects.filter(poll=poll).update(mac="")


def ballot(poll, seq):
    return Ballot.objects.get(poll=poll, seq=seq)


def test_intact_chain_verifies(poll_with_ballots, capsys):
    poll, _ = poll_with_ballots
    call_command("verify_ballots", str(poll.pk))
    out = capsys.readouterr().out
    assert "5 ballots, chain intact" in out


def test_edited_choice_is_named(poll_with_ballots):
    poll, _ = poll_with_ballots
    target = ballot(poll, 3)
    other = option_id(poll, 2) if target.choice["choice"] != option_id(poll, 2) else option_id(poll)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE votes_ballot SET choice = %s WHERE id = %s",
            [f'{{"choice": {other}}}', target.pk],
        )
    message = run_verify(poll)
    assert f"ballot seq 3 (id {target.pk})" in message
    assert "content_changed" in message


def rewrite_hash_of_second_ballot(poll) -> None:
    """Give ballot 2 another choice and the unkeyed hash and receipt that fit it."""
    target = ballot(poll, 2)
    row = audit.ChainRow(
        target.pk,
        2,
        target.voter_key,
        {"choice": option_id(poll, 2)},
        1,
        target.area,
        target.channel,
        None,
        target.prev_hash,
        "",
        "",
    )
    forged = audit.row_hash(poll.pk, row, target.prev_hash)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE votes_ballot SET choice = %s, hash = %s, receipt = %s WHERE id = %s",
            [
                f'{{"choice": {option_id(poll, 2)}}}',
                forged,
                audit.receipt_code(forged),
                target.pk,
            ],
        )


def test_edited_hash_of_a_keyed_poll_is_named_at_that_ballot(poll_with_ballots):
    """Without the chain key the rewritten link's MAC cannot fit: named at the ballot itself."""
    poll, _ = poll_with_ballots
    rewrite_hash_of_second_ballot(poll)
    message = run_verify(poll)
    assert f"ballot seq 2 (id {ballot(poll, 2).pk})" in message
    assert "bad_mac" in message


def test_edited_hash_of_an_unkeyed_poll_is_named_at_the_next_link(poll_with_ballots):
    """A poll opened before keyed chains: the rewrite breaks the following ballot's link."""
    poll, _ = poll_with_ballots
    make_unkeyed(poll)
    rewrite_hash_of_second_ballot(poll)
    message = run_verify(poll)
    assert f"ballot seq 3 (id {ballot(poll, 3).pk})" in message
    assert "broken_link" in message


def test_deleted_ballot_is_named(poll_with_ballots):
    poll, _ = poll_with_ballots
    gone = ballot(poll, 2)
    after = ballot(poll, 3)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM votes_ballot WHERE id = %s", [gone.pk])
    message = run_verify(poll)
    assert f"ballot seq 3 (id {after.pk})" in message
    assert "expected position 2" in message


def test_deleted_last_ballot_is_detected(poll_with_ballots):
    poll, _ = poll_with_ballots
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM votes_ballot WHERE id = %s", [ballot(poll, 5).pk])
    message = run_verify(poll)
    assert "missing_tail" in message


def test_inserted_ballot_is_named(poll_with_ballots):
    poll, voters = poll_with_ballots
    last = ballot(poll, 5)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO votes_ballot (poll_id, voter_key, choice, headcount, area, channel,"
            " seq, prev_hash, hash, receipt) VALUES (%s, %s, %s, 1, 0, 'online', 6, %s, %s, %s)",
            [
                poll.pk,
                f"p{voters[5].pk}",
                f'{{"choice": {option_id(poll)}}}',
                last.hash,
                "f" * 64,
                "AAAA-AAAA-AAAA-AAAA",
            ],
        )
    inserted = ballot(poll, 6)
    message = run_verify(poll)
    assert f"ballot seq 6 (id {inserted.pk})" in message


@pytest.mark.parametrize("keyed", [True, False])
def test_inserted_ballot_with_a_valid_hash_is_past_the_head(poll_with_ballots, keyed):
    """Even a forger who computes a correct hash is caught: the poll recorded its head (and a
    keyed poll's MAC does not fit first)."""
    poll, voters = poll_with_ballots
    if not keyed:
        make_unkeyed(poll)
    last = ballot(poll, 5)
    key = f"p{voters[5].pk}"
    choice = {"choice": option_id(poll)}
    content = audit.canonical_content(
        poll_id=poll.pk,
        seq=6,
        voter_key=key,
        choice=choice,
        headcount=1,
        area="0",
        channel="online",
        entered_by_id=None,
    )
    digest = audit.chain_hash(last.hash, content)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO votes_ballot (poll_id, voter_key, choice, headcount, area, channel,"
            " seq, prev_hash, hash, receipt) VALUES (%s, %s, %s, 1, 0, 'online', 6, %s, %s, %s)",
            [
                poll.pk,
                key,
                f'{{"choice": {choice["choice"]}}}',
                last.hash,
                digest,
                audit.receipt_code(digest),
            ],
        )
    message = run_verify(poll)
    assert f"ballot seq 6 (id {ballot(poll, 6).pk})" in message
    assert ("bad_mac" if keyed else "beyond_head") in message


def test_inserted_ballot_in_the_middle_is_named(poll_with_ballots):
    """Shift later positions up to make room: the first shifted ballot no longer fits."""
    poll, voters = poll_with_ballots
    with connection.cursor() as cursor:
        for seq in (5, 4, 3):
            cursor.execute(
                "UPDATE votes_ballot SET seq = %s WHERE poll_id = %s AND seq = %s",
                [seq + 1, poll.pk, seq],
            )
        cursor.execute(
            "INSERT INTO votes_ballot (poll_id, voter_key, choice, headcount, area, channel,"
            " seq, prev_hash, hash, receipt) VALUES (%s, %s, %s, 1, 0, 'paper', 3, %s, %s, %s)",
            [
                poll.pk,
                f"p{voters[5].pk}",
                '{"choice": 1}',
                ballot(poll, 2).hash,
                "0" * 64,
                "AAAA-AAAA-AAAA-AAAA",
            ],
        )
    message = run_verify(poll)
    assert f"ballot seq 3 (id {ballot(poll, 3).pk})" in message


def test_unknown_poll_is_an_error():
    with pytest.raises(CommandError):
        call_command("verify_ballots", "987654")
