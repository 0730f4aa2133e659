"""Casting under real concurrency on PostgreSQL: threads, each with its own connection."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from tests.factories.base import CommunityFactory
from tests.factories.votes import option_id, resident_poll, residents
from votes import services
from votes.exceptions import VoteRefused
from votes.models import Ballot, Participation, Poll
from votes.selectors import poll_chain_problem

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="row locks and concurrent writers need PostgreSQL (set DATABASE_URL); "
        "SQLite serialises every writer, so these races cannot happen there",
    ),
]

# Stay well under PostgreSQL's default 100 connections, shared with other test runs.
THREADS = 25


def run_at_once(jobs):
    """Run ``jobs`` on THREADS threads released together; return their results in order."""
    go = threading.Event()

    def wrap(job):
        def run():
            try:
                go.wait(timeout=30)
                return job()
            finally:
                connection.close()

        return run

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(wrap(job)) for job in jobs]
        go.set()
        return [f.result(timeout=120) for f in futures]


def cast_job(poll, voter, choice):
    def job():
        try:
            return services.ballot_cast(poll=poll, voter=voter, choice=choice)
        except VoteRefused as refused:
            return refused.code

    return job


def test_200_distinct_voters_at_once_make_200_ballots_and_a_valid_chain():
    community = CommunityFactory()
    voters = residents(community, 200)
    poll = resident_poll(community)
    oid = option_id(poll)
    results = run_at_once([cast_job(poll, v, {"choice": oid}) for v in voters])
    receipts = [r for r in results if not isinstance(r, str)]
    assert len(receipts) == 200
    assert sorted(r.seq for r in receipts) == list(range(1, 201))
    assert Ballot.objects.filter(poll=poll).count() == 200
    assert Participation.objects.filter(poll=poll).count() == 200
    assert Poll.objects.get(pk=poll.pk).ballot_seq == 200
    assert poll_chain_problem(poll) is None


def test_one_voter_ten_times_at_once_makes_one_ballot():
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    poll = resident_poll(community)
    jobs = [cast_job(poll, voter, {"choice": option_id(poll, i % 3)}) for i in range(10)]
    results = run_at_once(jobs)
    accepted = [r for r in results if not isinstance(r, str)]
    refused = [r for r in results if isinstance(r, str)]
    assert len(accepted) == 1
    assert refused == ["already_voted"] * 9
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert poll_chain_problem(poll) is None


def test_batches_racing_each_other_keep_one_chain():
    community = CommunityFactory()
    voters = residents(community, 120)
    poll = resident_poll(community)
    oid = option_id(poll)

    def batch_job(chunk):
        def job():
            requests = [
                services.CastRequest(poll_id=poll.pk, voter_id=v.pk, choice={"choice": oid})
                for v in chunk
            ]
            return services.ballots_cast_batch(requests)

        return job

    # Every voter appears in two different batches: exactly one of the two is accepted.
    chunks = [voters[i : i + 10] for i in range(0, 120, 10)]
    chunks += [voters[i + 5 : i + 15] for i in range(0, 110, 10)]
    outcomes = [o for batch in run_at_once([batch_job(c) for c in chunks]) for o in batch]
    accepted = [o for o in outcomes if o.ok]
    assert len(accepted) == 120
    assert {o.code for o in outcomes if not o.ok} == {"already_voted"}
    assert poll_chain_problem(poll) is None


def test_ballots_racing_a_close_are_counted_if_acknowledged_and_none_after():
    community = CommunityFactory()
    voters = residents(community, 150)
    poll = resident_poll(community)
    oid = option_id(poll)
    started = threading.Event()
    acknowledged = []
    closed_seen = []
    lock = threading.Lock()

    def voter_job(voter):
        def job():
            started.set()
            try:
                receipt = services.ballot_cast(poll=poll, voter=voter, choice={"choice": oid})
            except VoteRefused as refused:
                with lock:
                    closed_seen.append(refused.code)
                return
            with lock:
                acknowledged.append(receipt)

        return job

    def closer():
        started.wait(timeout=30)
        # Let some ballots in first, then close while others are still arriving.
        while True:
            with lock:
                if len(acknowledged) >= 20:
                    break
        return services.poll_close(poll=Poll.objects.get(pk=poll.pk), actor=None)

    jobs = [voter_job(v) for v in voters]
    results = run_at_once([*jobs[:100], closer, *jobs[100:]])
    closed = next(r for r in results if isinstance(r, Poll))
    stored = set(Ballot.objects.filter(poll=poll).values_list("seq", flat=True))
    assert {r.seq for r in acknowledged} == stored
    assert closed.ballot_seq == len(acknowledged)
    assert set(closed_seen) <= {"poll_closed"}
    assert len(acknowledged) + len(closed_seen) == 150
    assert closed_seen, "the close should have overtaken some ballots"
    assert poll_chain_problem(poll) is None
    assert sum(closed.result["by_channel"].values()) == len(acknowledged)
