"""Faults (issue 5, point 4), against real daphne processes on PostgreSQL and Redis:

- daphne killed (SIGKILL) during a burst of ballots and restarted: every acknowledged ballot is in
  the database, reconnecting clients get a fresh ``state`` with a ``seq`` no older than what
  they saw, and voters whose acknowledgement was lost can retry without a double ballot;
- the Redis the channel layer runs on flushed (FLUSHDB) or restarted during a burst: no ballot
  lost, every voter gets an answer (reconnecting if the socket dropped);
- a client that stops reading does not hold up the others, and the server stays bounded: once
  more than ``SIFANG_WS_MAX_BUFFERED_BYTES`` wait for it, daphne closes its socket;
- a socket from a foreign origin, or without a session, cannot cast.

Liveness only: generous timeouts, no timing assertions (a noisy 2-core machine runs these).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import time
from typing import Any

import pytest

from .conftest import Ws, is_type, tally_at_least, ws_connect

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def connect_all(worker, seed) -> tuple[Ws, list[Ws]]:
    meeting = seed["meeting"]
    facilitator = await ws_connect(worker, meeting, seed["facilitator_session"])
    voters = [await ws_connect(worker, meeting, key) for key in seed["sessions"]]
    for client in [facilitator, *voters]:
        await client.until(is_type("state"), timeout=120)
    return facilitator, voters


async def open_poll(facilitator: Ws, voters: list[Ws], poll: int) -> None:
    await facilitator.send({"type": "poll.open", "poll": poll, "ref": "open"})
    for client in [facilitator, *voters]:
        await client.until(is_type("poll.opened"), timeout=60)


def cast_frame(seed: dict[str, Any], i: int) -> dict[str, Any]:
    options = seed["options"]
    return {
        "type": "ballot.cast",
        "poll": seed["poll"],
        "choice": options[i % len(options)],
        "ref": f"v{i}",
    }


def answer(client: Ws, ref: str) -> dict[str, Any] | None:
    for frame in client.frames:
        if frame.get("ref") == ref and frame.get("type") in ("ballot.accepted", "error"):
            return frame
    return None


def acked_receipts(voters: list[Ws]) -> set[str]:
    return {f["receipt"] for c in voters for f in c.frames if f.get("type") == "ballot.accepted"}


async def settle_every_voter(worker, seed, voters: list[Ws]) -> list[Ws]:
    """Give every voter an answer: wait on the open socket, else reconnect and cast again.

    A retried ballot either is accepted or comes back ``already_voted`` (its first attempt had
    committed but the acknowledgement was lost): never a second ballot."""
    settled = []
    for i, client in enumerate(voters):
        ref = f"v{i}"
        try:
            await client.until(lambda f, ref=ref: f.get("ref") == ref, timeout=20)
        except AssertionError:
            await client.close()
            client = await ws_connect(worker, seed["meeting"], seed["sessions"][i])
            await client.until(is_type("state"), timeout=120)
            await client.send(cast_frame(seed, i))
            got = await client.until(lambda f, ref=ref: f.get("ref") == ref, timeout=60)
            assert got["type"] == "ballot.accepted" or got["code"] == "already_voted", got
        settled.append(client)
    return settled


async def close_all(*clients: Ws) -> None:
    await asyncio.gather(*(c.close() for c in clients))


async def test_daphne_killed_during_a_burst_keeps_every_acknowledged_ballot(
    live_database, workers
) -> None:
    db = live_database(60)
    seed = db.seed
    poll = seed["poll"]
    worker = workers(db)
    facilitator, voters = await connect_all(worker, seed)
    await open_poll(facilitator, voters, poll)
    seq_seen = max(f.get("seq", 0) for f in facilitator.frames)

    await asyncio.gather(*(c.send(cast_frame(seed, i)) for i, c in enumerate(voters)))
    # Kill as soon as the first answer is out; the deadline only stops a hung server.
    deadline = asyncio.get_running_loop().time() + 120
    while not any(answer(c, f"v{i}") for i, c in enumerate(voters)):
        assert asyncio.get_running_loop().time() < deadline, "no ballot was answered"
        await asyncio.sleep(0.005)
    worker.kill(signal.SIGKILL)
    await asyncio.sleep(0.5)
    acked = acked_receipts(voters)
    assert acked, "no ballot was acknowledged before the kill"
    stored = set(db.receipts(poll))
    assert acked <= stored, f"acknowledged but not stored: {acked - stored}"
    await close_all(facilitator, *voters)

    worker.start()
    facilitator = await ws_connect(worker, seed["meeting"], seed["facilitator_session"])
    state = await facilitator.until(is_type("state"), timeout=120)
    assert state["seq"] >= seq_seen
    assert state["poll"]["id"] == poll and state["poll"]["status"] == "open"
    assert state["tally"]["ballots"] == len(db.receipts(poll))

    # Everyone reconnects and, if they never heard back, votes again.
    voters = []
    for key in seed["sessions"]:
        client = await ws_connect(worker, seed["meeting"], key)
        fresh = await client.until(is_type("state"), timeout=120)
        assert fresh["seq"] >= seq_seen and fresh["poll"]["status"] == "open"
        voters.append(client)
    for i, client in enumerate(voters):
        await client.send(cast_frame(seed, i))
    for i, client in enumerate(voters):
        got = await client.until(lambda f, ref=f"v{i}": f.get("ref") == ref, timeout=60)
        assert got["type"] == "ballot.accepted" or got["code"] == "already_voted", got
    assert len(db.receipts(poll)) == 60
    [(voters_stored, distinct)] = db.query(
        "select count(*), count(distinct voter_id) from votes_participation where poll_id=%s",
        [poll],
    )
    assert voters_stored == distinct == 60
    await facilitator.until(tally_at_least(poll, 60), timeout=60)
    await close_all(facilitator, *voters)


@pytest.mark.parametrize("fault", ["flushdb", "restart"])
async def test_redis_flushed_or_restarted_during_a_burst_loses_no_ballot(
    live_database, workers, own_redis, fault
) -> None:
    db = live_database(30)
    seed = db.seed
    poll = seed["poll"]
    worker = workers(db, redis_url=own_redis.url)
    facilitator, voters = await connect_all(worker, seed)
    await open_poll(facilitator, voters, poll)

    first, second = voters[:15], voters[15:]
    await asyncio.gather(*(c.send(cast_frame(seed, i)) for i, c in enumerate(first)))
    if fault == "flushdb":
        own_redis.flushdb()
    else:
        own_redis.stop()
        own_redis.start()
    for i, client in enumerate(second, start=15):
        # The socket may have dropped with the layer; settled below.
        with contextlib.suppress(Exception):
            await client.send(cast_frame(seed, i))

    voters = await settle_every_voter(worker, seed, voters)
    stored = set(db.receipts(poll))
    assert acked_receipts(voters) <= stored
    assert len(stored) == 30
    [(count, distinct)] = db.query(
        "select count(*), count(distinct voter_id) from votes_participation where poll_id=%s",
        [poll],
    )
    assert count == distinct == 30
    # A client that (re)connects now gets the whole count from the database.
    late = await ws_connect(worker, seed["meeting"], seed["facilitator_session"])
    state = await late.until(is_type("state"), timeout=120)
    assert state["tally"]["ballots"] == 30
    await close_all(late, facilitator, *voters)


def stalled_socket(port: int, meeting: int, session: str) -> socket.socket:
    """A websocket that completes the handshake and then never reads again."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/meetings/{meeting}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nCookie: sessionid={session}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    return sock


async def facilitator_and_readers(
    worker, seed: dict[str, Any], readers: int
) -> tuple[Any, Any, list]:
    """The facilitator (with its ``state``) and ``readers`` participants holding theirs."""
    facilitator = await ws_connect(worker, seed["meeting"], seed["facilitator_session"])
    state = await facilitator.until(is_type("state"))
    clients = [
        await ws_connect(worker, seed["meeting"], k) for k in seed["sessions"][1 : readers + 1]
    ]
    for client in clients:
        await client.until(is_type("state"))
    return facilitator, state, clients


async def test_a_client_that_stops_reading_does_not_hold_up_the_others(
    live_database, workers
) -> None:
    db = live_database(12)
    seed = db.seed
    worker = workers(db)
    stalled = stalled_socket(worker.port, seed["meeting"], seed["sessions"][0])
    try:
        facilitator, state, readers = await facilitator_and_readers(worker, seed, 5)
        members = [m["member"] for m in state["attendance"]["members"]]
        rss_before = worker.rss_kb()

        # Many state-changing frames to everyone (attendance sections of all members), one
        # after the other: each command's frame comes back to the facilitator before the next.
        rounds = 150
        for n in range(rounds):
            await facilitator.send(
                {
                    "type": "attendance.mark",
                    "member": members[n % len(members)],
                    "present": n % 2 == 1,
                    "ref": f"a{n}",
                }
            )
            await facilitator.until(
                lambda f, want=n + 1: (
                    f.get("type") == "error"
                    or sum(1 for x in facilitator.frames if x.get("type") == "attendance") >= want
                ),
                timeout=60,
            )
        assert not [f for f in facilitator.frames if f.get("type") == "error"]
        last = [f for f in facilitator.frames if f.get("type") == "attendance"][-1]
        # Every reading client gets the last frame, however far behind the stalled one is.
        for client in readers:
            await client.until(lambda f, seq=last["seq"]: f.get("seq", 0) >= seq, timeout=120)
        # A new client is still served, and a ballot still goes through.
        await facilitator.send({"type": "poll.open", "poll": seed["poll"], "ref": "open"})
        await readers[0].until(is_type("poll.opened"), timeout=60)
        await readers[0].send(cast_frame(seed, 1))
        await readers[0].until(is_type("ballot.accepted", ref="v1"), timeout=60)
        newcomer = await ws_connect(worker, seed["meeting"], seed["sessions"][7])
        await newcomer.until(is_type("state"), timeout=60)
        # Memory stays bounded: what the stalled socket did not read is not kept without limit.
        growth_mb = (worker.rss_kb() - rss_before) / 1024
        assert growth_mb < 100, f"daphne grew by {growth_mb:.0f} MB"
        await close_all(facilitator, newcomer, *readers)
    finally:
        stalled.close()


def tcp_state(sock: socket.socket) -> int:
    """The socket's TCP state (Linux: the first byte of ``struct tcp_info``)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


TCP_ESTABLISHED = 1


def frame_bytes(frame: dict[str, Any]) -> int:
    """Size of a frame as the server sent it (``meetings.broadcast.encode``)."""
    return len(json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode())


async def test_a_client_far_behind_is_closed_and_the_server_keeps_no_backlog(
    live_database, workers
) -> None:
    """Frames of hundreds of KB (every ``agenda`` frame carries every note) to a socket that
    never reads: daphne must close it rather than buffer tens of MB for it, while the readers
    get every frame."""
    db = live_database(4)
    seed = db.seed
    worker = workers(db)
    stalled = stalled_socket(worker.port, seed["meeting"], seed["sessions"][0])
    try:
        facilitator, state, readers = await facilitator_and_readers(worker, seed, 2)
        item = state["agenda"]["items"][0]["id"]
        rss_before = peak = worker.rss_kb()

        # 2,000 characters, 3,000 bytes: the n-th agenda frame is about n * 3 KB.
        text = "会议记录" * 125 + "x" * 1500
        notes = 230
        for n in range(notes):
            await facilitator.send({"type": "note.add", "item": item, "text": text, "ref": f"n{n}"})
            await facilitator.until(
                lambda f, want=n + 1: (
                    f.get("type") == "error"
                    or sum(1 for x in facilitator.frames if x.get("type") == "agenda") >= want
                ),
                timeout=60,
            )
            peak = max(peak, worker.rss_kb())
        assert not [f for f in facilitator.frames if f.get("type") == "error"]

        # (b) Every reader gets every agenda frame.
        seqs = [f["seq"] for f in facilitator.frames if f.get("type") == "agenda"]
        for client in readers:
            await client.until(lambda f, seq=seqs[-1]: f.get("seq", 0) >= seq, timeout=120)
            assert [f["seq"] for f in client.frames if f.get("type") == "agenda"] == seqs
        # (c) What went to the stalled participant is what a reading participant got; the
        # server must not have kept it.
        sent_mb = sum(frame_bytes(f) for f in readers[0].frames) / 2**20
        growth_mb = (peak - rss_before) / 1024
        print(f"sent to the stalled socket: {sent_mb:.0f} MB; daphne grew by {growth_mb:.0f} MB")
        assert sent_mb > 60, f"only {sent_mb:.0f} MB sent: the frames are smaller than planned"
        assert growth_mb < sent_mb / 3, (
            f"daphne grew by {growth_mb:.0f} MB for {sent_mb:.0f} MB sent to a socket that "
            "does not read"
        )
        # (a) The server closed the stalled socket (reset, or FIN after a close frame) because it
        # does not read, and said so in its log: the log line, not a clock, tells this close from
        # daphne's ping timeout. The deadline only stops a hung server from hanging the test.
        deadline = time.monotonic() + 300
        while "does not read" not in worker.log.read_text(errors="replace"):
            assert time.monotonic() < deadline, "the server never closed the stalled socket"
            await asyncio.sleep(0.2)
        while tcp_state(stalled) == TCP_ESTABLISHED:
            assert time.monotonic() < deadline, "the stalled socket is still open"
            await asyncio.sleep(0.2)
        with contextlib.suppress(ConnectionResetError):
            while stalled.recv(2**16):
                pass
        await close_all(facilitator, *readers)
    finally:
        stalled.close()


async def test_foreign_origin_or_no_session_cannot_cast(live_database, workers) -> None:
    from websockets.exceptions import InvalidStatus

    db = live_database(2)
    seed = db.seed
    poll = seed["poll"]
    worker = workers(db)
    facilitator = await ws_connect(worker, seed["meeting"], seed["facilitator_session"])
    await facilitator.until(is_type("state"))
    await open_poll(facilitator, [], poll)

    # A page on another site, even with a valid session cookie, gets no socket at all.
    with pytest.raises(InvalidStatus) as refused:
        await ws_connect(worker, seed["meeting"], seed["sessions"][0], origin="http://evil.example")
    assert refused.value.response.status_code == 403

    # No session (or a made-up one): a read-only observer whose ballot is refused.
    for session in (None, "notarealsessionkey0000000000000"):
        anonymous = await ws_connect(worker, seed["meeting"], session)
        state = await anonymous.until(is_type("state"))
        assert state["role"] == "observer" and "ballot.cast" not in state["can"]
        await anonymous.send(cast_frame(seed, 0))
        error = await anonymous.until(is_type("error", ref="v0"))
        assert error["code"] == "forbidden"
        await anonymous.close()
    assert db.receipts(poll) == []
    await facilitator.close()


async def test_an_idle_socket_stays_open_with_the_configured_redis(live_database, workers) -> None:
    """With ``REDIS_URL`` exactly as the environment gives it (no extra parameters), a socket
    that hears nothing for longer than channels_redis's 5 s blocking pop must stay usable.
    redis-py 8's default 5 s read timeout races that pop and closes every socket with 1011
    unless the settings (or ``REDIS_URL``) give the layer a longer ``socket_timeout``."""
    db = live_database(1)
    seed = db.seed
    worker = workers(db, as_deployed=False)
    facilitator = await ws_connect(worker, seed["meeting"], seed["facilitator_session"])
    await facilitator.until(is_type("state"))
    await asyncio.sleep(12)
    await facilitator.send({"type": "poll.open", "poll": seed["poll"], "ref": "open"})
    await facilitator.until(is_type("poll.opened"), timeout=60)
    await facilitator.close()
