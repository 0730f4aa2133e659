"""The ballot chain anchored outside the database (issue 12, point 8; docs/ballot-chain.md).

An attacker who can write the database rewrites one ballot's choice and recomputes every later
link and the poll's head. Without the chain key the MACs give it away; with the key, the heads
residents saved from the public chain page (``verify_ballots --heads FILE``) still do.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories.base import CommunityFactory
from tests.factories.votes import option_id, resident_poll, residents
from votes import audit, services
from votes.models import (
    Ballot,
    ChainHeadPublication,
    ChainScheme,
    Participation,
    Poll,
    PublicationReason,
)
from votes.services import CastRequest, ballots_cast_batch

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
GUESSED_KEY = b"the attacker's best guess at the chain key"


@pytest.fixture
def scene():
    """An open resident poll with five ballots and ten voters."""
    community = CommunityFactory()
    voters = residents(community, 10)
    poll = resident_poll(community)
    for i, voter in enumerate(voters[:5]):
        services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll, i % 3)})
    return poll, voters


def cast(poll: Poll, voters, choice_index: int = 0) -> None:
    for voter in voters:
        services.ballot_cast(
            poll=poll, voter=voter, choice={"choice": option_id(poll, choice_index)}
        )


def verify(poll: Poll, *heads: Path) -> tuple[int, str]:
    """Run ``verify_ballots``; (exit code, what it printed or the error)."""
    args = [str(poll.pk)] + [arg for path in heads for arg in ("--heads", str(path))]
    try:
        out = StringIO()
        call_command("verify_ballots", *args, stdout=out)
    except CommandError as error:
        return 1, str(error)
    return 0, out.getvalue()


def rewrite_from(poll: Poll, seq: int, *, key: bytes | None) -> None:
    """The attacker: change ballot ``seq``'s choice, then recompute every later link, receipt,
    MAC (under ``key``, when the attacker has one) and the poll's head, straight in the database.
    """
    ballots = list(Ballot.objects.filter(poll=poll).order_by("seq"))
    target = next(b for b in ballots if b.seq == seq)
    options = [option_id(poll, i) for i in range(3)]
    target.choice = {"choice": next(o for o in options if o != target.choice["choice"])}
    prev = ballots[seq - 2].hash if seq > 1 else audit.genesis_hash(poll.pk)
    for item in ballots[seq - 1 :]:
        content = audit.canonical_content(
            poll_id=poll.pk,
            seq=item.seq,
            voter_key=item.voter_key,
            choice=item.choice,
            headcount=item.headcount,
            area=item.area,
            channel=item.channel,
            entered_by_id=item.entered_by_id,
        )
        digest = audit.chain_hash(prev, content)
        mac = (
            audit.ballot_mac(key, poll_id=poll.pk, seq=item.seq, ballot_hash=digest)
            if key
            else item.mac
        )
        Ballot.objects.filter(pk=item.pk).update(
            choice=item.choice,
            prev_hash=prev,
            hash=digest,
            receipt=audit.receipt_code(digest),
            mac=mac,
        )
        prev = digest
    last = ballots[-1].seq
    head_mac = audit.head_mac(key, poll_id=poll.pk, seq=last, head=prev) if key else None
    Poll.objects.filter(pk=poll.pk).update(
        chain_head=prev, **({"chain_head_mac": head_mac} if head_mac else {})
    )


def rewrite_publications(poll: Poll, *, key: bytes) -> None:
    """The attacker with the key also rewrites every published-head row to fit the new chain."""
    hashes = dict(Ballot.objects.filter(poll=poll).values_list("seq", "hash"))
    hashes[0] = audit.genesis_hash(poll.pk)
    for item in ChainHeadPublication.objects.filter(poll=poll):
        head = hashes[item.seq]
        ChainHeadPublication.objects.filter(pk=item.pk).update(
            head=head,
            mac=audit.publication_mac(
                key, poll_id=poll.pk, seq=item.seq, head=head, published_at=item.published_at
            ),
        )


def save_chain_page(client, poll: Poll, path: Path) -> Path:
    """A resident saves the public chain page's heads file."""
    url = reverse("poll-chain", kwargs={"community": poll.community.slug, "pk": poll.pk})
    response = client.get(url, {"format": "txt"})
    assert response.status_code == 200
    path.write_bytes(response.content)
    return path


def test_an_untouched_poll_verifies(scene, client, tmp_path):
    poll, _ = scene
    saved = save_chain_page(client, poll, tmp_path / "heads.txt")
    services.poll_close(poll=poll, actor=None)
    code, out = verify(poll, saved)
    assert code == 0, out
    assert "5 ballots, chain intact, keyed" in out
    assert "2 published heads match, 1 saved heads match" in out  # opened + closed; the file


def test_a_rewrite_with_the_unkeyed_formula_is_detected(scene):
    """The issue's attack: rc was 0 before keyed chains. Now the first rewritten MAC fails."""
    poll, _ = scene
    rewrite_from(poll, 2, key=None)
    code, message = verify(poll)
    assert code == 1
    assert f"ballot seq 2 (id {Ballot.objects.get(poll=poll, seq=2).pk})" in message
    assert "bad_mac" in message


def test_an_attacker_without_the_key_cannot_make_valid_macs(scene):
    """Knowing the formula is not enough: MACs under any other key fail at the first change."""
    poll, _ = scene
    rewrite_from(poll, 3, key=GUESSED_KEY)
    code, message = verify(poll)
    assert code == 1
    assert f"ballot seq 3 (id {Ballot.objects.get(poll=poll, seq=3).pk})" in message
    assert "bad_mac" in message


def test_an_attacker_with_the_key_is_caught_by_heads_saved_earlier(
    scene, client, tmp_path, settings
):
    """With the key and the publication rows rewritten too, the database alone agrees with the
    forgery; the head a resident saved while the poll was open does not."""
    poll, voters = scene
    services.polls_publish_chain_heads(force=True)  # the periodic run, at 5 ballots
    saved = save_chain_page(client, poll, tmp_path / "saved.txt")
    assert any(line.startswith("5 ") for line in saved.read_text().splitlines())
    cast(poll, voters[5:8])
    services.poll_close(poll=poll, actor=None)

    key = settings.SIFANG_BALLOT_CHAIN_KEY.encode()
    rewrite_from(poll, 2, key=key)
    rewrite_publications(poll, key=key)
    code, _ = verify(poll)
    assert code == 0, "the database alone cannot tell: this is what the saved heads are for"

    code, message = verify(poll, saved)
    assert code == 1
    assert "published head seq 5" in message and "saved.txt line" in message
    assert "published_head_mismatch" in message
    assert f"ballot seq 5 (id {Ballot.objects.get(poll=poll, seq=5).pk})" in message


def test_a_head_copied_from_a_notice_without_its_count_is_checked(scene, tmp_path):
    poll, _ = scene
    closed = services.poll_close(poll=poll, actor=None)
    notice = tmp_path / "notice.txt"
    notice.write_text(f"{closed.chain_head}\n")
    assert verify(poll, notice)[0] == 0
    # An attacker with the key rewrites the chain and removes the database's own publications.
    rewrite_from(poll, 4, key=audit.configured_chain_key())
    ChainHeadPublication.objects.filter(poll=poll).delete()
    assert verify(poll)[0] == 0
    code, message = verify(poll, notice)
    assert code == 1
    assert "published_head_unknown" in message and "notice.txt line 1" in message


def test_a_truncated_chain_is_detected_without_the_key(scene):
    """Dropping the last ballot and moving the head back: the head's MAC no longer fits."""
    poll, _ = scene
    last = Ballot.objects.get(poll=poll, seq=5)
    fourth = Ballot.objects.get(poll=poll, seq=4)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM votes_ballot WHERE id = %s", [last.pk])
    Participation.objects.filter(poll=poll, voter_key=last.voter_key).delete()
    Poll.objects.filter(pk=poll.pk).update(ballot_seq=4, chain_head=fourth.hash)
    code, message = verify(poll)
    assert code == 1
    assert "bad_head_mac" in message


def test_a_publication_row_added_without_the_key_is_named(scene):
    poll, _ = scene
    head = Ballot.objects.get(poll=poll, seq=3).hash
    forged = ChainHeadPublication.objects.create(
        poll=poll,
        seq=3,
        head=head,
        reason=PublicationReason.PERIODIC,
        published_at=timezone.now() - dt.timedelta(days=30),
        mac="0" * 64,
    )
    code, message = verify(poll)
    assert code == 1
    assert "publication_bad_mac" in message and f"row {forged.pk}" in message


def test_a_saved_head_past_the_stored_chain_names_the_removal(scene, tmp_path):
    poll, _ = scene
    saved = tmp_path / "heads.txt"
    saved.write_text(f"7 {'a' * 64}\n")
    code, message = verify(poll, saved)
    assert code == 1
    assert "published_head_beyond_chain" in message


def test_a_malformed_heads_file_is_refused(scene, tmp_path):
    poll, _ = scene
    saved = tmp_path / "heads.txt"
    saved.write_text("# saved from the notice board\n3 not-a-hash\n")
    code, message = verify(poll, saved)
    assert code == 1
    assert "line 2" in message


def make_legacy(poll: Poll, *, marked: bool) -> None:
    """Set ``poll`` back to an unkeyed chain: no MACs, and (``marked``) the migration's mark."""
    Poll.objects.filter(pk=poll.pk).update(chain_scheme=ChainScheme.UNKEYED, chain_head_mac="")
    Ballot.objects.filter(poll=poll).update(mac="")
    ChainHeadPublication.objects.filter(poll=poll).update(mac="")
    if marked:
        migration = importlib.import_module("votes.migrations.0003_chain_anchor")
        migration.mark_legacy_polls(django_apps, None)


def test_a_poll_opened_before_keyed_chains_verifies_and_says_unkeyed(scene):
    poll, voters = scene
    make_legacy(poll, marked=True)
    cast(poll, voters[5:7])  # an old poll still open keeps casting unkeyed, and keeps its mark
    code, out = verify(poll)
    assert code == 0, out
    assert "7 ballots, chain intact, unkeyed" in out


def test_a_keyed_poll_set_back_to_unkeyed_is_detected(scene):
    """The attacker drops the MACs and marks the poll unkeyed: it lacks the migration's mark."""
    poll, _ = scene
    make_legacy(poll, marked=False)
    rewrite_from(poll, 2, key=None)
    code, message = verify(poll)
    assert code == 1
    assert "scheme_downgraded" in message


def test_a_different_key_fails_at_the_first_ballot(scene, settings):
    """The key is the server's, not the database's: verifying with another key fails."""
    poll, _ = scene
    settings.SIFANG_BALLOT_CHAIN_KEY = "another-key-entirely-0123456789abcdef"
    code, message = verify(poll)
    assert code == 1
    assert "ballot seq 1" in message and "bad_mac" in message


def test_heads_are_published_at_open_periodically_and_at_close(scene, settings):
    poll, voters = scene
    settings.SIFANG_BALLOT_CHAIN_PUBLISH_MINUTES = 60
    opened = ChainHeadPublication.objects.get(poll=poll)
    assert (opened.seq, opened.head, opened.reason) == (
        0,
        audit.genesis_hash(poll.pk),
        PublicationReason.OPENED,
    )
    start = opened.published_at
    assert services.polls_publish_chain_heads(now=start + dt.timedelta(minutes=30)) == []
    report = services.polls_close_due(now=start + dt.timedelta(minutes=61))
    assert report.published == [poll.pk]
    periodic = ChainHeadPublication.objects.get(poll=poll, reason=PublicationReason.PERIODIC)
    assert (periodic.seq, periodic.reason) == (5, PublicationReason.PERIODIC)
    # Nothing moved: nothing to publish, however long it has been.
    assert services.polls_publish_chain_heads(now=start + dt.timedelta(days=1)) == []
    cast(poll, voters[5:6])
    services.poll_close(poll=poll, actor=None)
    closed = ChainHeadPublication.objects.get(poll=poll, reason=PublicationReason.CLOSED)
    assert (closed.seq, closed.reason) == (6, PublicationReason.CLOSED)
    assert closed.head == Poll.objects.get(pk=poll.pk).chain_head


def test_publish_command_publishes_moved_heads_now(scene, capsys):
    poll, _ = scene
    call_command("publish_chain_heads")
    assert f"poll {poll.pk}: 5 " in capsys.readouterr().out
    call_command("publish_chain_heads")
    assert "nothing to publish" in capsys.readouterr().out


def test_the_public_chain_page_lists_every_head_with_its_time(
    scene, client, django_assert_max_num_queries
):
    poll, _ = scene
    services.polls_publish_chain_heads(force=True)
    url = reverse("poll-chain", kwargs={"community": poll.community.slug, "pk": poll.pk})
    with django_assert_max_num_queries(8):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert audit.genesis_hash(poll.pk) in html
    assert Poll.objects.get(pk=poll.pk).chain_head in html
    assert f"5 {Poll.objects.get(pk=poll.pk).chain_head}" in html
    detail = client.get(
        reverse("poll-detail", kwargs={"community": poll.community.slug, "pk": poll.pk})
    )
    assert url in detail.content.decode()


def test_the_chain_page_of_a_draft_is_not_public(client):
    poll = resident_poll(CommunityFactory(), open_now=False)
    url = reverse("poll-chain", kwargs={"community": poll.community.slug, "pk": poll.pk})
    assert client.get(url).status_code == 404


def test_casting_a_batch_costs_no_query_per_ballot(scene):
    """Keyed casting adds one HMAC per ballot and no query: a batch of 1 and of 4 cost the same."""
    poll, voters = scene

    def queries(batch) -> int:
        requests = [
            CastRequest(poll_id=poll.pk, choice={"choice": option_id(poll)}, voter_id=v.pk)
            for v in batch
        ]
        with CaptureQueriesContext(connection) as captured:
            outcomes = ballots_cast_batch(requests)
        assert all(outcome.ok for outcome in outcomes)
        return len(captured)

    assert queries(voters[5:6]) == queries(voters[6:10])
    assert verify(poll)[0] == 0


def test_production_refuses_to_start_without_a_chain_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.pop("SIFANG_BALLOT_CHAIN_KEY", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="k3Yq9vXw2LmN8pRt5sUv7wXy0zA1bC4dE6fG8hJ0kL2mN4pQ6rS8tU0vW2xY4z",
        SIFANG_OTP_SENDER="deliberation.accounts.senders.HttpSmsSender",
        SIFANG_SMS_URL="https://sms.example.org/send",
    )
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "SIFANG_BALLOT_CHAIN_KEY" in out.stderr
