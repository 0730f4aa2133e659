"""Several workers and a worker restart (issue 16, points 2 and 3), with real daphne processes on
PostgreSQL + Redis: ballots cast on both workers at once reach every client on both as one final
tally, nothing lost or doubled; after a worker is killed its clients come back on the page's
jittered schedule (``meetings.reconnect``) to a fresh ``state`` that knows their ballot.

Ports 8400-8419 (this area's own); the database is the integration suite's ``live_database``.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from meetings.reconnect import reconnect_delay

from .conftest import (
    LiveDatabase,
    Worker,
    Ws,
    _env,
    is_type,
    tally_at_least,
    ws_connect,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

PORTS = range(8400, 8420)


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def storm_workers(tmp_path: Path) -> Iterator[Callable[[LiveDatabase], Worker]]:
    started: list[Worker] = []
    ports = (p for p in PORTS if _free(p))

    def start(db: LiveDatabase) -> Worker:
        port = next(ports)
        worker = Worker(port, _env(db.url, os.environ["REDIS_URL"]), tmp_path / f"w{port}.log")
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.kill(signal.SIGTERM)
        lines = [
            line
            for line in worker.log.read_text(errors="replace").splitlines()
            if line.strip() and "WSCONNECT" not in line and "WSDISCONNECT" not in line
        ]
        print(f"--- {worker.log} (last lines) ---", *lines[-40:], sep="\n")


async def test_ballots_on_both_workers_reach_every_client_as_one_final_tally(
    live_database, storm_workers
) -> None:
    n = 12
    db = live_database(n)
    seed = db.seed
    meeting, poll, options = seed["meeting"], seed["poll"], seed["options"]
    first, second = storm_workers(db), storm_workers(db)
    facilitator = await ws_connect(first, meeting, seed["facilitator_session"])
    # Participants round-robin over the two workers, as behind a proxy.
    voters = [
        await ws_connect((first, second)[i % 2], meeting, session)
        for i, session in enumerate(seed["sessions"])
    ]
    projector = await ws_connect(second, meeting, query="role=observer")
    clients = [facilitator, *voters, projector]
    try:
        for client in clients:
            await client.until(is_type("state"))
        await facilitator.send({"type": "poll.open", "poll": poll, "ref": "open"})
        for client in clients:
            await client.until(is_type("poll.opened"))
        await asyncio.gather(
            *(
                v.send({"type": "ballot.cast", "poll": poll, "choice": options[i % 2], "ref": i})
                for i, v in enumerate(voters)
            )
        )
        receipts = [
            (await v.until(is_type("ballot.accepted", ref=i)))["receipt"]
            for i, v in enumerate(voters)
        ]
        for client in clients:  # the last ballots were cast on both workers
            await client.until(tally_at_least(poll, n))
        stored = db.receipts(poll)
        assert sorted(stored) == sorted(receipts)  # none lost, none doubled
        staff = [f for f in facilitator.frames if f.get("type") == "tally"][-1]["tally"]
        assert staff["ballots"] == n
        assert sum(bar["count"] for bar in staff["bars"]) == n
    finally:
        await asyncio.gather(*(c.close() for c in clients))


async def test_clients_of_a_killed_worker_come_back_on_the_jittered_schedule(
    live_database, storm_workers
) -> None:
    db = live_database(4)
    seed = db.seed
    meeting, poll, options = seed["meeting"], seed["poll"], seed["options"]
    steady, doomed = storm_workers(db), storm_workers(db)
    facilitator = await ws_connect(steady, meeting, seed["facilitator_session"])
    voters = [await ws_connect(doomed, meeting, s) for s in seed["sessions"]]
    try:
        for client in [facilitator, *voters]:
            await client.until(is_type("state"))
        await facilitator.send({"type": "poll.open", "poll": poll, "ref": "open"})
        await voters[0].until(is_type("poll.opened"))
        await voters[0].send(
            {"type": "ballot.cast", "poll": poll, "choice": options[0], "ref": "before"}
        )
        await voters[0].until(is_type("ballot.accepted", ref="before"))

        doomed.kill()  # SIGKILL: every socket of that worker drops at once
        for voter in voters:
            with pytest.raises(AssertionError, match="connection closed"):
                await voter.until(lambda f: False, timeout=10)
        doomed.start()

        async def come_back(index: int) -> Ws:
            from websockets.asyncio.client import connect

            rng = random.Random(index)
            for attempt in range(50):  # the page never gives up; the test stops somewhere
                await asyncio.sleep(reconnect_delay(attempt, random=rng.random))
                try:  # one handshake per attempt, as the page makes
                    ws = await connect(
                        f"{doomed.url}/ws/meetings/{meeting}/",
                        origin=f"http://127.0.0.1:{doomed.port}",  # type: ignore[arg-type]
                        additional_headers=[("Cookie", f"sessionid={seed['sessions'][index]}")],
                        open_timeout=30,
                        ping_interval=None,
                    )
                except Exception:  # noqa: S112 - refused while it starts; the page retries too
                    continue
                return Ws(ws)
            raise AssertionError("never came back")

        back = await asyncio.gather(*(come_back(i) for i in range(len(voters))))
        states = [await client.until(is_type("state")) for client in back]
        # A fresh state: the poll is open, the ballot before the crash is counted and known.
        assert all(s["poll"]["status"] == "open" for s in states)
        assert states[0]["you"]["voted"] is True
        assert all(s["you"]["voted"] is False for s in states[1:])
        assert all(s["tally"]["ballots"] >= 1 for s in states)
        # And the meeting goes on across both workers.
        await back[1].send({"type": "ballot.cast", "poll": poll, "choice": options[1], "ref": 1})
        await back[1].until(is_type("ballot.accepted", ref=1))
        await facilitator.until(tally_at_least(poll, 2))
        await asyncio.gather(*(c.close() for c in back))
    finally:
        await asyncio.gather(*(c.close() for c in [facilitator, *voters]))
