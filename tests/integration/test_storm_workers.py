"""Several workers and a worker restart (issue 16, points 2 and 3), with real daphne processes on
PostgreSQL + Redis: ballots cast on both workers at once reach every client on both as one final
tally, nothing lost or doubled; after a worker is killed its clients come back on the page's
jittered schedule (``meetings.reconnect``) to a fresh ``state`` that knows their ballot.

Ports 8400-8419 (this area's own). The database is copied from a migrated template of our own
(``sifang_storm_tpl_<migrations digest>``) so that these tests never touch another run's
template.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from meetings.reconnect import reconnect_delay

from .conftest import (
    BASE,
    BIN,
    LiveDatabase,
    Worker,
    Ws,
    _admin_rows,
    _admin_sql,
    _env,
    _requirements,
    is_type,
    tally_at_least,
    ws_connect,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

PORTS = range(8400, 8420)


def _template(db_url: str, redis_url: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(BASE.glob("*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    name = f"sifang_storm_tpl_{digest.hexdigest()[:12]}"
    existing = {
        r
        for (r,) in _admin_rows(
            db_url, "select datname from pg_database where datname like 'sifang_storm_tpl_%'"
        )
    }
    for stale in existing - {name}:  # only ours
        _admin_sql(db_url, f"drop database if exists {stale} with (force)")
    if name not in existing:
        building = f"{name}_new_{uuid.uuid4().hex[:6]}"
        _admin_sql(db_url, f"create database {building}")
        url = urlparse(db_url)._replace(path=f"/{building}").geturl()
        subprocess.run(
            [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=BASE,
            env=_env(url, redis_url),
            check=True,
            timeout=900,
        )
        _admin_sql(db_url, f"alter database {building} rename to {name}")
    return name


@pytest.fixture(scope="module")
def storm_database() -> Iterator[Callable[[int], LiveDatabase]]:
    db_url, redis_url = _requirements()
    template = _template(db_url, redis_url)
    name = f"sifang_storm_it_{uuid.uuid4().hex[:10]}"
    url = urlparse(db_url)._replace(path=f"/{name}").geturl()
    _admin_sql(db_url, f"create database {name} template {template}")
    try:

        def scene(n: int) -> LiveDatabase:
            out = subprocess.run(
                [str(BIN / "python"), "-m", "bench.live_seed", "--n", str(n)],
                cwd=BASE,
                env=_env(url, redis_url),
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            ).stdout
            return LiveDatabase(url=url, seed=json.loads(out.strip().splitlines()[-1]))

        yield scene
    finally:
        _admin_sql(db_url, f"drop database if exists {name} with (force)")


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
    storm_database, storm_workers
) -> None:
    n = 12
    db = storm_database(n)
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
    storm_database, storm_workers
) -> None:
    db = storm_database(4)
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
