"""Real server processes for the integration tests: a throw-away PostgreSQL database (created,
migrated, seeded with ``bench.live_seed``, dropped after), daphne workers on ``config.asgi`` and,
for the fault tests, a Redis server of our own that may be flushed and restarted.

These tests need PostgreSQL and Redis: ``DATABASE_URL=postgres://...`` and ``REDIS_URL=redis://...``
(the same servers the suite runs on). Without them they are skipped, saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

BASE = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PORTS = range(8380, 8389)  # daphne workers (this area's port range is 8380-8389)
REDIS_PORT = 8389  # our own redis-server for the fault tests

pytestmark = pytest.mark.integration


def _requirements() -> tuple[str, str]:
    db = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not db.startswith("postgres") or not redis_url.startswith("redis"):
        pytest.skip(
            "integration tests need PostgreSQL + Redis: run with DATABASE_URL=postgres://... "
            "and REDIS_URL=redis://..."
        )
    return db, redis_url


def _admin_sql(db_url: str, sql: str) -> None:
    import psycopg

    parts = urlparse(db_url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


@dataclass
class LiveDatabase:
    url: str
    seed: dict[str, Any]

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def receipts(self, poll: int) -> list[str]:
        return [
            r for (r,) in self.query("select receipt from votes_ballot where poll_id=%s", [poll])
        ]


def deploy_redis_url(url: str) -> str:
    """``REDIS_URL`` as docs/deploy.md has it: a read timeout longer than channels_redis's
    5 s blocking pop (redis-py 8 defaults to 5 s, which drops idle sockets with 1011) and a pool
    bigger than redis-py's default 100 connections."""
    params = [
        p for p in ("socket_timeout=30", "max_connections=1000") if p.split("=")[0] not in url
    ]
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(params)


def _env(db_url: str, redis_url: str, *, as_deployed: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="0",
        DATABASE_URL=db_url,
        REDIS_URL=deploy_redis_url(redis_url) if as_deployed else redis_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(BASE),
    )
    return env


def _admin_rows(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    admin = urlparse(db_url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def _migrated_template(db_url: str, redis_url: str) -> str:
    """A migrated template database named after the migrations' content: migrating from
    scratch takes minutes, copying a template a second. Stale templates are dropped."""
    digest = hashlib.sha256()
    for path in sorted(BASE.glob("*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    name = f"sifang_it_tpl_{digest.hexdigest()[:12]}"
    existing = {
        r
        for (r,) in _admin_rows(
            db_url, "select datname from pg_database where datname like 'sifang_it_tpl_%'"
        )
    }
    for stale in existing - {name}:
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
        try:
            _admin_sql(db_url, f"alter database {building} rename to {name}")
        except Exception:  # another run built it meanwhile
            _admin_sql(db_url, f"drop database if exists {building} with (force)")
    return name


@pytest.fixture(scope="session")
def live_database() -> Iterator[Callable[[int], LiveDatabase]]:
    """``scene(n)``: a live meeting of ``n`` checked-in participants with a draft poll (see
    ``bench.live_seed``), in one throw-away PostgreSQL database created and migrated once for
    the session and dropped after. Each call makes a new meeting with new sessions."""
    db_url, redis_url = _requirements()
    template = _migrated_template(db_url, redis_url)
    name = f"sifang_it_{uuid.uuid4().hex[:10]}"
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


def _wait_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


class Worker:
    """A daphne process serving ``config.asgi:application`` (restartable on the same port)."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port, self.env, self.log = port, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "config.asgi:application",
                ],
                cwd=BASE,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_port(self.port, self.proc)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)

    def rss_kb(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@pytest.fixture
def workers(tmp_path) -> Iterator[Callable[..., Worker]]:
    """``start(db, redis_url=None, env=None)``: a daphne worker on the next free port of this
    area (``env``: extra environment, e.g. a fault-injection setting)."""
    started: list[Worker] = []
    ports = iter(PORTS)

    def start(
        db: LiveDatabase,
        redis_url: str | None = None,
        *,
        as_deployed: bool = True,
        env: dict[str, str] | None = None,
    ) -> Worker:
        port = next(ports)
        environment = _env(db.url, redis_url or os.environ["REDIS_URL"], as_deployed=as_deployed)
        environment.update(env or {})
        worker = Worker(port, environment, tmp_path / f"daphne-{port}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill(signal.SIGTERM)
        # Shown by pytest only when the test failed: what the server said.
        lines = [
            line
            for line in worker.log.read_text(errors="replace").splitlines()
            if line.strip() and "WSCONNECT" not in line and "WSDISCONNECT" not in line
        ]
        print(f"--- {worker.log} (last lines) ---", *lines[-60:], sep="\n")


class RedisServer:
    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir = port, workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_port(self.port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    def flushdb(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushdb()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    """A Redis server of our own (port 8389): flushing or restarting it touches no one else."""
    _requirements()
    if shutil.which("redis-server") is None:
        pytest.skip("the Redis fault tests start their own redis-server, which is not installed")
    server = RedisServer(REDIS_PORT, tmp_path).start()
    yield server
    server.stop()


# --- a small websocket client ----------------------------------------------------------------


class Ws:
    """A websockets client that keeps every frame it got, to wait for one by predicate."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self._new = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                self.frames.append(json.loads(message))
                self._new.set()
        except Exception:  # noqa: S110 - closed; waiting callers time out with what they saw
            pass
        finally:
            self._new.set()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = 0
        while True:
            for frame in self.frames[seen:]:
                if predicate(frame):
                    return frame
            seen = len(self.frames)
            if self._reader.done():
                raise AssertionError(f"connection closed; saw {[f['type'] for f in self.frames]}")
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no matching frame; saw {[f['type'] for f in self.frames]}")
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), left)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
        self._reader.cancel()


async def ws_connect(
    worker: Worker,
    meeting: int,
    session: str | None = None,
    *,
    origin: str | None = None,
    query: str = "",
) -> Ws:
    """Connect with the ``Origin`` of the worker (or ``origin``) and the session cookie; retries
    a refused handshake a few times (a worker that just restarted may still be warming up)."""
    from websockets.asyncio.client import connect

    headers = [("Cookie", f"sessionid={session}")] if session else []
    url = f"{worker.url}/ws/meetings/{meeting}/" + (f"?{query}" if query else "")
    last: Exception | None = None
    for attempt in range(5):
        try:
            ws = await connect(
                url,
                origin=origin or f"http://127.0.0.1:{worker.port}",  # type: ignore[arg-type]
                additional_headers=headers,
                open_timeout=60,
                ping_interval=None,
                close_timeout=2,
                max_size=2**24,
            )
            return Ws(ws)
        except Exception as exc:
            last = exc
            if "403" in str(exc):
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError(f"could not connect: {last}")


def is_type(kind: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items())


def tally_at_least(poll: int, ballots: int) -> Callable[[dict[str, Any]], bool]:
    def match(frame: dict[str, Any]) -> bool:
        tally = frame.get("tally") or {}
        return (
            frame.get("type") in ("tally", "state", "poll.opened")
            and tally.get("poll") == poll
            and (tally.get("ballots") or 0) >= ballots
        )

    return match
