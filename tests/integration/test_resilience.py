"""Issue 16, points 4-6, against real daphne processes on PostgreSQL and Redis:

- a Redis restart of a few seconds does not drop the meeting: every socket on both workers stays
  open, every client gets a fresh ``state`` once the layer is back (the resync: what was
  broadcast during the outage is lost), and ballots, tallies and frames go on across workers;
- a ballot committed whose ``ballot.accepted`` was lost (the worker killed between commit and
  send, by the fault hook ``SIFANG_FAULT_KILL_BEFORE_ACK_REF``) is answered with its original
  receipt when the client reconnects and re-sends the same ref, on a secret poll;
- a frame over daphne's maximum message size is closed with 1009 and a reason.

Liveness only: generous timeouts, no timing assertions (a noisy 2-core machine runs these).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from .conftest import Ws, is_type, tally_at_least, ws_connect
from .test_faults import cast_frame, close_all, open_poll

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def frames_since(client: Ws, start: int, kind: str) -> list[dict]:
    return [f for f in client.frames[start:] if f.get("type") == kind]


async def test_a_redis_restart_keeps_every_socket_and_the_meeting_goes_on(
    live_database, workers, own_redis
) -> None:
    db = live_database(8)
    seed = db.seed
    meeting, poll, sessions = seed["meeting"], seed["poll"], seed["sessions"]
    first = workers(db, redis_url=own_redis.url)
    second = workers(db, redis_url=own_redis.url)
    facilitator = await ws_connect(first, meeting, seed["facilitator_session"])
    voters = [
        await ws_connect((first, second)[i % 2], meeting, key) for i, key in enumerate(sessions)
    ]
    projector = await ws_connect(second, meeting, query="role=observer")
    clients = [facilitator, *voters, projector]
    try:
        for client in clients:
            await client.until(is_type("state"), timeout=120)
        await open_poll(facilitator, [*voters, projector], poll)
        await voters[0].send(cast_frame(seed, 0))
        await voters[0].until(is_type("ballot.accepted", ref="v0"), timeout=60)
        await projector.until(tally_at_least(poll, 1), timeout=60)

        # Redis goes away for a few seconds and comes back empty (no persistence): every
        # group membership in it is gone.
        before = [len(c.frames) for c in clients]
        own_redis.stop()
        await asyncio.sleep(3)
        # Meanwhile a ballot still goes through: it needs the database only.
        await voters[1].send(cast_frame(seed, 1))
        await voters[1].until(is_type("ballot.accepted", ref="v1"), timeout=60)
        own_redis.start()

        # Every client, on either worker, gets a fresh state on its open socket.
        for client, start in zip(clients, before, strict=True):
            await client.until(
                lambda f, c=client, s=start: f.get("type") == "state" and f in c.frames[s:],
                timeout=60,
            )
        for client, start in zip(clients, before, strict=True):
            resync = frames_since(client, start, "state")[-1]
            assert resync["poll"]["id"] == poll and resync["poll"]["status"] == "open"
            assert not frames_since(client, start, "error")
        assert (frames_since(projector, before[-1], "state")[-1]["tally"]["ballots"]) == 2

        # Frames resume over the restored groups: ballots on both workers reach the projector
        # on the second and the facilitator on the first, as tallies.
        for i in range(2, len(voters)):
            await voters[i].send(cast_frame(seed, i))
        for i in range(2, len(voters)):
            await voters[i].until(is_type("ballot.accepted", ref=f"v{i}"), timeout=60)
        await projector.until(tally_at_least(poll, len(voters)), timeout=60)
        await facilitator.until(tally_at_least(poll, len(voters)), timeout=60)
        await facilitator.send({"type": "poll.close", "poll": poll, "ref": "close"})
        for client in clients:
            closed = await client.until(is_type("poll.closed"), timeout=60)
            assert closed["tally"]["ballots"] == len(voters)

        # No socket closed at any point: the same connections carried it all.
        for client in clients:
            assert client.ws.close_code is None and not client._reader.done()
        assert len(db.receipts(poll)) == len(voters)
    finally:
        await close_all(*clients)
    for worker in (first, second):
        log = worker.log.read_text(errors="replace")
        assert "Redis is back" in log, "the layer never restored its memberships"


async def test_a_receipt_lost_in_the_crash_window_comes_back_for_the_same_ref(
    live_database, workers
) -> None:
    db = live_database(2)
    seed = db.seed
    meeting, poll = seed["meeting"], seed["poll"]
    # A secret poll: the seal that keeps the receipt must not link the voter to the ballot.
    db.query("update votes_poll set secrecy='secret' where id=%s returning id", [poll])
    worker = workers(db, env={"SIFANG_FAULT_KILL_BEFORE_ACK_REF": "crash-1"})
    facilitator = await ws_connect(worker, meeting, seed["facilitator_session"])
    voter = await ws_connect(worker, meeting, seed["sessions"][0])
    await open_poll(facilitator, [voter], poll)

    frame = {**cast_frame(seed, 0), "ref": "crash-1"}
    await voter.send(frame)
    # The worker commits the ballot and dies before acknowledging it (SIGKILL, by the hook).
    assert worker.proc is not None
    deadline = time.monotonic() + 120
    while worker.proc.poll() is None:
        assert time.monotonic() < deadline, "the fault hook never killed the worker"
        await asyncio.sleep(0.1)
    assert worker.proc.returncode == -9
    [receipt] = db.receipts(poll)
    await voter._reader  # the socket dropped with the worker
    assert not [f for f in voter.frames if f.get("type") in ("ballot.accepted", "error")]
    await close_all(facilitator, voter)

    # The page reconnects (to a worker without the hook) and re-sends its unanswered ballot.
    worker.env.pop("SIFANG_FAULT_KILL_BEFORE_ACK_REF")
    worker.start()
    voter = await ws_connect(worker, meeting, seed["sessions"][0])
    state = await voter.until(is_type("state"), timeout=120)
    assert state["you"]["voted"] is True
    await voter.send(frame)
    accepted = await voter.until(lambda f: f.get("ref") == "crash-1", timeout=60)
    assert accepted == {
        "type": "ballot.accepted",
        "ref": "crash-1",
        "poll": poll,
        "receipt": receipt,
    }
    # Another ref (a new attempt, not a repeat) is told the truth: already voted.
    await voter.send({**frame, "ref": "other"})
    refused = await voter.until(lambda f: f.get("ref") == "other", timeout=60)
    assert refused["type"] == "error" and refused["code"] == "already_voted"
    assert db.receipts(poll) == [receipt]
    assert db.query("select voter_key from votes_ballot where poll_id=%s", [poll]) == [(None,)]
    await voter.close()


async def test_a_frame_over_the_maximum_message_size_is_closed_with_1009(
    live_database, workers
) -> None:
    db = live_database(1)
    seed = db.seed
    worker = workers(db)
    client = await ws_connect(worker, seed["meeting"], seed["sessions"][0])
    await client.until(is_type("state"))
    # daphne's default --websocket-max-message-size is 1 MiB.
    await client.ws.send('{"type":"speaker.request","pad":"' + "x" * (1024 * 1024 + 10) + '"}')
    await asyncio.wait_for(client._reader, 60)
    received = client.ws.protocol.close_rcvd
    assert received is not None, "the server dropped the connection without a close frame"
    assert received.code == 1009
    assert "exceeds payload limit" in received.reason
    # A frame under daphne's limit but over the protocol's is an error; the socket stays open.
    other = await ws_connect(worker, seed["meeting"], seed["sessions"][0])
    await other.until(is_type("state"))
    await other.ws.send('{"type":"speaker.request","ref":"big","pad":"' + "x" * 20000 + '"}')
    error = await other.until(is_type("error", ref=None), timeout=30)
    assert error["code"] == "too_large"
    await other.send({"type": "no.such.type", "ref": "after"})
    assert (await other.until(is_type("error", ref="after")))["code"] == "unknown_type"
    await other.close()
