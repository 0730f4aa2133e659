"""Live vote benchmark: N websocket participants cast one ballot each at once, Sifang vs the floor.

For each N, repetition and target (``sifang``: ``/ws/meetings/<id>/``; ``floor``: the bare
consumer of ``bench/floor`` at ``/ws/floor/<poll>/``) it:

1. seeds a fresh live meeting with N checked-in participants and a draft yes/no poll (Sifang) or
   a fresh poll number (floor), with one real database session per participant;
2. starts daphne on ``bench.asgi:application`` (unless ``--url`` names a running server);
3. connects N participants and a facilitator (``Origin`` and ``Cookie: sessionid`` set) and
   waits for each one's ``state`` (connect time);
4. the facilitator sends ``poll.open``; once every participant saw ``poll.opened`` the burst
   starts: every participant sends one ``ballot.cast`` at once;
5. measures each ballot's acknowledgement latency (send → ``ballot.accepted``), the time from
   the start of the burst until every client holds a ``tally`` counting all N ballots, and the
   ``tally`` frames each client received;
6. checks the database: every acknowledged receipt stored, nothing stored twice.

Prints one line per run, then medians per (N, target), Sifang/floor ratios, and the targets of
issue 5 at N = 1000. Writes everything as JSON to ``--out``.

    .venv/bin/python bench/live_vote.py --db sqlite --n 100 500 1000 --reps 3
    .venv/bin/python bench/live_vote.py --db postgres --n 1000

``--db postgres`` uses ``postgres://postgres@127.0.0.1:5432/sifang_bench`` and Redis db 8 (the
channel layer and the cache) unless ``DATABASE_URL`` / ``REDIS_URL`` are set; ``--db sqlite``
uses ``var/bench-live.sqlite3`` and the in-memory layer (one process). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where bench/http.py would shadow the
# standard library's ``http`` package: put the project root there instead.
sys.path[:] = [str(BASE)] + [p for p in sys.path if Path(p or ".").resolve() != BASE / "bench"]
VENV_BIN = BASE / ".venv" / "bin"
PG_URL = "postgres://postgres@127.0.0.1:5432/sifang_bench"
# A read timeout above channels_redis's 5 s blocking pop and a raised pool (docs/deploy.md).
REDIS_URL = "redis://127.0.0.1:6379/8?socket_timeout=30&max_connections=2000"

LISTEN_BACKLOG = 2048
CONNECT_TIMEOUT_S = 60

# Targets at N = 1000 (issue 5, point 8).
TARGET_ACK_P99_S = 1.5
TARGET_ACK_FLOOR_SHARE = 0.5
TARGET_FINAL_TALLY_S = 4.0
TARGET_TALLY_FRAMES = 30


# --- environment and server ----------------------------------------------------------------


def configure_env(db: str) -> dict[str, str]:
    """Set the environment for Django (here) and daphne (the returned copy)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("CONN_MAX_AGE", "600")
    if db == "postgres":
        os.environ.setdefault("DATABASE_URL", PG_URL)
        os.environ.setdefault("REDIS_URL", REDIS_URL)
    else:
        (BASE / "var").mkdir(exist_ok=True)
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{BASE / 'var' / 'bench-live.sqlite3'}")
        os.environ.pop("REDIS_URL", None)
    return dict(os.environ)


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def database_prepare(env: dict[str, str]) -> None:
    url = env["DATABASE_URL"]
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[1]
        exists = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-tAc",
                f"select 1 from pg_database where datname='{name}'",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"create database {name}"],
                check=True,
                capture_output=True,
            )
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE,
        env=env,
        check=True,
    )


def redis_flush(env: dict[str, str]) -> None:
    url = env.get("REDIS_URL")
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    log: Path

    def peak_rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def servers_start(
    env: dict[str, str],
    ports: list[int],
    logs: list[Path],
    app: str = "bench.asgi:application",
) -> list[Server]:
    """Start one daphne per port (all at once) serving ``app`` and wait until every one
    listens."""
    started = []
    for port, log in zip(ports, logs, strict=True):
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [
                    str(VENV_BIN / "daphne"),
                    # Twisted listens with a backlog of 50: a thousand phones reconnecting at
                    # once overflow it and the kernel drops their SYNs, which they resend only
                    # after 1, 3, 7, 15 s. Listen as docs/deploy.md says.
                    "-e",
                    f"tcp:port={port}:interface=127.0.0.1:backlog={LISTEN_BACKLOG}",
                    # daphne refuses (403) a handshake the app has not answered within 5 s;
                    # in a herd every refusal is work thrown away and done again.
                    "--websocket_connect_timeout",
                    str(CONNECT_TIMEOUT_S),
                    app,
                ],
                cwd=BASE,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(Server(proc, log))
    deadline = time.monotonic() + 60
    for port, server in zip(ports, started, strict=True):
        while True:
            if server.proc.poll() is not None:
                raise SystemExit(f"daphne exited with {server.proc.returncode}; see {server.log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    for s in started:
                        s.proc.kill()
                    raise SystemExit(f"daphne did not listen on {port}; see {server.log}") from None
                time.sleep(0.05)
    return started


# --- the client ------------------------------------------------------------------------------


@dataclass
class Client:
    key: str
    poll: int
    n: int
    url: str = ""
    ws: Any = None
    connect_error: str | None = None
    state_at: float | None = None
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    sent_at: float | None = None
    acked_at: float | None = None
    receipt: str | None = None
    error: str | None = None
    counting: bool = False
    tallies: int = 0
    final_at: float | None = None
    reader: asyncio.Task[None] | None = None
    attempts: int = 0
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    rng: random.Random = field(default_factory=random.Random)

    async def open(
        self, origin: str, gate: asyncio.Semaphore | None, timeout: float, deadline: float
    ) -> None:
        """Connect and wait for ``state``; like the page, retry a refused or dropped handshake
        after the page's jittered back-off (``meetings.reconnect``), never giving up before
        ``deadline`` (event-loop time)."""
        from websockets.asyncio.client import connect

        from meetings.reconnect import reconnect_delay

        loop = asyncio.get_running_loop()
        self.attempts = 0
        self.state_at = None
        while True:
            if self.attempts:
                wait = reconnect_delay(self.attempts - 1, random=self.rng.random)
                if loop.time() + wait > deadline:
                    return
                await asyncio.sleep(wait)
            self.attempts += 1
            async with gate or contextlib.nullcontext():
                try:
                    self.ws = await connect(
                        self.url,
                        origin=origin,  # type: ignore[arg-type]
                        additional_headers=[("Cookie", f"sessionid={self.key}")],
                        open_timeout=timeout,
                        ping_interval=None,
                        close_timeout=2,
                        max_size=2**24,
                        compression=None,
                    )
                except Exception as exc:  # refused handshake, HTTP 500, timeout
                    self.connect_error = type(exc).__name__ + ": " + str(exc)[:120]
                    continue
                state = loop.create_future()
                self.dropped = asyncio.Event()
                self.reader = asyncio.ensure_future(self.read(state))
                try:
                    await asyncio.wait_for(asyncio.shield(state), timeout)
                except TimeoutError:
                    self.connect_error = "no state frame"
                    await self.close()
                    continue
                if self.state_at is None:
                    self.connect_error = "closed before state"
                    await self.close()
                    continue
                self.connect_error = None
                return

    async def read(self, state: asyncio.Future[None]) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for message in self.ws:
                now = loop.time()
                frame = json.loads(message)
                kind = frame.get("type")
                if kind == "tally":
                    tally = frame.get("tally") or {}
                    if tally.get("poll") == self.poll and self.counting:
                        self.tallies += 1
                        if self.final_at is None and (tally.get("ballots") or 0) >= self.n:
                            self.final_at = now
                elif kind == "ballot.accepted":
                    self.acked_at = now
                    self.receipt = frame.get("receipt")
                elif kind == "error":
                    self.error = frame.get("code")
                elif kind == "poll.opened":
                    self.opened.set()
                elif kind == "state":
                    self.state_at = now
                    if not state.done():
                        state.set_result(None)
        except Exception:  # noqa: S110 - closed by either side; the metrics say what was missed
            pass
        finally:
            self.dropped.set()
            if not state.done():
                state.set_result(None)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def cast(self, option: int) -> None:
        self.sent_at = asyncio.get_running_loop().time()
        try:
            await self.send(
                {"type": "ballot.cast", "poll": self.poll, "choice": option, "ref": "b"}
            )
        except Exception as exc:
            self.error = f"send: {type(exc).__name__}"

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            self.reader.cancel()


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


async def reconnect_storm(
    clients: list[Client], origin: str, restart: Callable[[], None], deadline_s: float
) -> dict[str, Any]:
    """Drop every socket at once (``restart`` kills the server(s) and starts them again) and let
    every client reconnect on the page's own jittered schedule; report when the last one held a
    fresh ``state`` and whether anyone gave up (no fresh state by ``deadline_s``)."""
    loop = asyncio.get_running_loop()
    for c in clients:
        c.counting = False
    dropped_at = loop.time()
    restarting = loop.run_in_executor(None, restart)

    async def back(c: Client) -> None:
        try:
            await asyncio.wait_for(c.dropped.wait(), deadline_s)
        except TimeoutError:
            return  # never dropped: reported as without a fresh state
        if c.reader is not None:
            c.reader.cancel()
        c.ws = None
        # A browser does not abandon a pending handshake after a few seconds: wait for it
        # (up to the storm's deadline) rather than retry and make the server do it twice.
        await c.open(origin, None, deadline_s, dropped_at + deadline_s)

    await asyncio.gather(*(back(c) for c in clients))
    restarted_s = await restarting
    fresh = [c.state_at - dropped_at for c in clients if c.state_at and c.state_at > dropped_at]
    attempts = [c.attempts for c in clients]
    return {
        "storm_restart_s": restarted_s,
        "storm_fresh_state_s": _r(max(fresh)) if len(fresh) == len(clients) else None,
        "storm_fresh_state_p50_s": _r(pct(fresh, 50)),
        "storm_gave_up": len(clients) - len(fresh),
        "storm_attempts_max": max(attempts) if attempts else None,
        "storm_attempts_median": statistics.median(attempts) if attempts else None,
    }


async def drive(
    *,
    bases: list[str],
    path: str,
    keys: list[str],
    facilitator_key: str,
    poll: int,
    options: list[int],
    timeout: float,
    connect_concurrency: int,
    connect_only: bool = False,
    restart: Callable[[], None] | None = None,
) -> tuple[dict[str, Any], list[Client]]:
    """Connect everyone (participants spread round-robin over ``bases``, the facilitator on the
    first), optionally run a reconnect storm, then the ballot burst unless ``connect_only``."""
    loop = asyncio.get_running_loop()
    n = len(keys)
    origin = "http://" + bases[0].split("://", 1)[1]
    clients = [
        Client(key=k, poll=poll, n=n, url=f"{bases[i % len(bases)]}{path}", rng=random.Random(i))
        for i, k in enumerate(keys)
    ]
    facilitator = Client(key=facilitator_key, poll=poll, n=n, url=f"{bases[0]}{path}")
    gate = asyncio.Semaphore(connect_concurrency)
    started = loop.time()
    await facilitator.open(origin, gate, 60, started + 120)
    if facilitator.connect_error or facilitator.state_at is None:
        raise SystemExit(f"facilitator could not connect: {facilitator.connect_error}")
    await asyncio.gather(*(c.open(origin, gate, 60, started + 300) for c in clients))
    connect_s = loop.time() - started
    live = [c for c in clients if c.state_at is not None]
    result: dict[str, Any] = {
        "workers": len(bases),
        "connect_s": round(connect_s, 3),
        "connect_per_handshake_ms": round(1000 * connect_s / max(1, n), 2),
        "connect_failed": n - len(live),
        "connect_errors": dict(Counter(c.connect_error for c in clients if c.connect_error)),
        "connect_retried": sum(1 for c in clients if c.attempts > 1),
    }
    if restart is not None:
        result.update(await reconnect_storm([facilitator, *live], origin, restart, 30.0))
        live = [c for c in live if c.state_at is not None and c.ws is not None]
        if facilitator.ws is None:
            connect_only = True
    if connect_only:
        await asyncio.gather(*(c.close() for c in [*clients, facilitator]))
        return result, clients
    for c in [*live, facilitator]:
        c.counting = True
        c.n = len(live)  # the final tally counts every ballot cast
    await facilitator.send({"type": "poll.open", "poll": poll, "ref": "open"})
    try:
        await asyncio.wait_for(asyncio.gather(*(c.opened.wait() for c in live)), 60)
    except TimeoutError:
        result["poll_opened_missing"] = sum(1 for c in live if not c.opened.is_set())
    rng = random.Random(n)
    t0 = loop.time()
    await asyncio.gather(*(c.cast(rng.choice(options)) for c in live))
    result["burst_send_s"] = round(loop.time() - t0, 3)
    watched = [*live, facilitator]
    deadline = t0 + timeout
    while loop.time() < deadline:
        acked = all(c.acked_at is not None or c.error for c in live)
        final = all(c.final_at is not None for c in watched)
        if acked and final:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # late tally frames still count against the budget
    acks = [c.acked_at - c.sent_at for c in live if c.acked_at is not None and c.sent_at]
    finals = [c.final_at - t0 for c in watched if c.final_at is not None]
    frames = [c.tallies for c in watched]
    result.update(
        {
            "acked": len(acks),
            "refused": dict(Counter(c.error for c in live if c.error)),
            "unanswered": sum(1 for c in live if c.acked_at is None and not c.error),
            "ack_p50_s": _r(pct(acks, 50)),
            "ack_p95_s": _r(pct(acks, 95)),
            "ack_p99_s": _r(pct(acks, 99)) if len(acks) == len(live) else None,
            "ack_max_s": _r(max(acks) if acks else None),
            "final_tally_s": _r(max(finals)) if len(finals) == len(watched) else None,
            "without_final_tally": len(watched) - len(finals),
            "tally_frames_median": statistics.median(frames) if frames else None,
            "tally_frames_max": max(frames) if frames else None,
        }
    )
    await asyncio.gather(*(c.close() for c in [*clients, facilitator]))
    return result, clients


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# --- database checks -----------------------------------------------------------------------


def check_sifang(poll: int, clients: list[Client]) -> dict[str, Any]:
    from django.db.models import Count

    from votes.models import Ballot, Participation

    receipts = list(Ballot.objects.filter(poll_id=poll).values_list("receipt", flat=True))
    voters = Participation.objects.filter(poll_id=poll).values("voter_key").annotate(c=Count("pk"))
    acked = {c.receipt for c in clients if c.receipt}
    return {
        "stored": len(receipts),
        "lost": len(acked - set(receipts)),
        "doubled": sum(v["c"] - 1 for v in voters) + (len(receipts) - len(set(receipts))),
    }


def check_floor(poll: int, clients: list[Client]) -> dict[str, Any]:
    from bench.floor.table import ballot_rows

    rows = ballot_rows(poll_id=poll)
    acked = {c.receipt for c in clients if c.receipt}
    return {
        "stored": len(rows),
        "lost": len(acked - {r for _, r in rows}),
        "doubled": len(rows) - len({u for u, _ in rows}),
    }


# --- one measurement, the summary ----------------------------------------------------------


def measure(
    *,
    target: str,
    n: int,
    rep: int,
    args: argparse.Namespace,
    env: dict[str, str],
    users: list[Any],
    facilitator: Any,
    community: Any,
) -> dict[str, Any]:
    from bench import live_seed

    if target == "sifang":
        scene = live_seed.scene_new(n, community=community, facilitator=facilitator)
        poll, options = scene.poll, scene.options
        path = f"/ws/meetings/{scene.meeting}/"
        by_id = {u.pk: u for u in users}
        voters = [by_id[pk] for pk in scene.user_ids]
    else:
        poll = int(time.time() * 1000) % 2_000_000_000
        options = [1, 2, 3]
        path = f"/ws/floor/{poll}/"
        voters = users[:n]
    keys = live_seed.sessions_new(voters)
    [facilitator_key] = live_seed.sessions_new([facilitator])
    load_before = os.getloadavg()[0]
    servers: list[Server] = []
    restart = None
    if args.url:
        bases = [u.rstrip("/") for u in args.url]
    else:
        redis_flush(env)
        logs = [
            BASE / "var" / "bench" / f"daphne-{args.db}-{target}-{n}-{rep}-w{i}.log"
            for i in range(args.workers)
        ]
        ports = [args.port + i for i in range(args.workers)]
        servers = servers_start(env, ports, logs)
        bases = [f"ws://127.0.0.1:{p}" for p in ports]
        if args.reconnect_storm == "kill":

            def restart() -> float:
                """Kill every worker at once (SIGKILL, like a crash) and start them again."""
                t0 = time.monotonic()
                for server in servers:
                    server.proc.kill()
                for server in servers:
                    server.proc.wait(30)
                servers[:] = servers_start(env, ports, logs)
                return round(time.monotonic() - t0, 3)

        elif args.reconnect_storm == "close":

            def restart() -> float:
                """Every worker closes every socket at once (bench.asgi, SIGUSR2) and stays up."""
                for server in servers:
                    server.proc.send_signal(signal.SIGUSR2)
                return 0.0

    try:
        result, clients = asyncio.run(
            drive(
                bases=bases,
                path=path,
                keys=keys,
                facilitator_key=facilitator_key,
                poll=poll,
                options=options,
                timeout=args.timeout,
                connect_concurrency=args.concurrency,
                connect_only=args.connect_only,
                restart=restart,
            )
        )
    finally:
        rss = [server.peak_rss_mb() for server in servers]
        for server in servers:
            server.stop()
    from django.db import close_old_connections

    close_old_connections()
    check = check_sifang(poll, clients) if target == "sifang" else check_floor(poll, clients)
    return {
        "db": args.db,
        "target": target,
        "n": n,
        "rep": rep,
        **result,
        **check,
        "server_peak_rss_mb": max((r for r in rss if r is not None), default=None),
        "workers_peak_rss_mb": rss,
        # Other work on the machine disturbs the numbers: the 1-minute load before and after.
        "load_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


METRICS = [
    "connect_s",
    "storm_fresh_state_s",
    "storm_gave_up",
    "ack_p50_s",
    "ack_p95_s",
    "ack_p99_s",
    "final_tally_s",
    "tally_frames_max",
    "lost",
    "doubled",
    "server_peak_rss_mb",
]


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    """Median over repetitions; a missing value (not reached in time) counts as infinite."""
    values = [float("inf") if r.get(key) is None else r[key] for r in runs]
    if not values:
        return None
    m = statistics.median(values)
    return None if m == float("inf") else round(m, 3)


def summarise(runs: list[dict[str, Any]], timeout: float) -> tuple[str, dict[str, Any]]:
    lines = []
    summary: dict[str, Any] = {}
    ns = sorted({r["n"] for r in runs})
    for r in runs:  # a multi-worker run is its own target: "sifang x2"
        if r.get("workers", 1) > 1 and " x" not in r["target"]:
            r["target"] = f"{r['target']} x{r['workers']}"
    targets = ["floor", "sifang", *sorted({r["target"] for r in runs} - {"floor", "sifang"})]
    head = "| N | target | " + " | ".join(METRICS) + " |"
    lines += [head, "|" + "---|" * (len(METRICS) + 2)]
    for n in ns:
        for target in targets:
            group = [r for r in runs if r["n"] == n and r["target"] == target]
            if not group:
                continue
            med = {k: median_of(group, k) for k in METRICS}
            summary[f"{target}-{n}"] = med
            cells = [
                f"> {timeout:g}s"
                if v is None and k in ("ack_p99_s", "final_tally_s") and "ack_p50_s" in group[0]
                else ("-" if v is None else f"{v:g}")
                for k, v in med.items()
            ]
            lines.append(f"| {n} | {target} | " + " | ".join(cells) + " |")
    lines.append("")
    for n in ns:
        s, f = summary.get(f"sifang-{n}"), summary.get(f"floor-{n}")
        if not s or not f:
            continue
        ratio = {}
        for k in ("connect_s", "ack_p50_s", "ack_p99_s", "final_tally_s", "tally_frames_max"):
            if s[k] is not None and f[k]:
                ratio[k] = round(s[k] / f[k], 3)
            elif s[k] is not None and f[k] is None:
                ratio[k] = f"< {s[k] / timeout:.3f} (floor not done in {timeout:g} s)"
        summary[f"ratio-{n}"] = ratio
        lines.append(f"N={n} Sifang/floor: {ratio}")
    s, f = summary.get("sifang-1000"), summary.get("floor-1000")
    if s and all("acked" in r for r in runs if r["n"] == 1000 and r["target"] == "sifang"):
        group = [r for r in runs if r["n"] == 1000 and r["target"] == "sifang"]
        checks = {
            "no ballot lost or doubled (every run)": all(
                r["lost"] == 0 and r["doubled"] == 0 for r in group
            ),
            "every ballot acknowledged within the timeout (every run)": all(
                r["acked"] == r["n"] for r in group
            ),
            f"ack p99 <= {TARGET_ACK_P99_S} s": s["ack_p99_s"] is not None
            and s["ack_p99_s"] <= TARGET_ACK_P99_S,
            "ack p99 <= half the floor's": s["ack_p99_s"] is not None
            and (
                f is not None
                and (
                    f["ack_p99_s"] is None
                    or s["ack_p99_s"] <= TARGET_ACK_FLOOR_SHARE * f["ack_p99_s"]
                )
            ),
            f"final tally everywhere <= {TARGET_FINAL_TALLY_S} s": s["final_tally_s"] is not None
            and s["final_tally_s"] <= TARGET_FINAL_TALLY_S,
            f"tally frames per client <= {TARGET_TALLY_FRAMES}": s["tally_frames_max"] is not None
            and s["tally_frames_max"] <= TARGET_TALLY_FRAMES,
        }
        summary["targets-1000"] = checks
        lines.append(
            "Targets at N=1000 (medians): "
            + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in checks.items())
        )
    return "\n".join(lines), summary


def main() -> None:
    parser = argparse.ArgumentParser(description="Live vote benchmark (see the module doc).")
    parser.add_argument("--n", type=int, nargs="+", default=[1000])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--targets", nargs="+", choices=["floor", "sifang"], default=["floor", "sifang"]
    )
    parser.add_argument(
        "--url",
        nargs="+",
        help="running server(s) (ws://host:port) serving bench.asgi, clients spread over them; "
        "default: start daphne for each run on --port",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="daphne processes to start (ports --port, --port+1, ...); participants are spread "
        "over them round-robin, the facilitator is on the first (needs --db postgres if > 1)",
    )
    parser.add_argument(
        "--connect-only",
        action="store_true",
        help="measure connecting (and the reconnect storm) only, no ballots",
    )
    parser.add_argument(
        "--reconnect-storm",
        choices=["kill", "close"],
        help="once everyone holds a state, drop every socket at once: 'kill' kills every worker "
        "(SIGKILL) and starts it again, 'close' has every worker close every socket (4012, as "
        "a Redis restart does) and stay up; every client reconnects on the page's jittered "
        "back-off (meetings.reconnect)",
    )
    parser.add_argument("--port", type=int, default=8370)
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds after the burst start to wait for acks and final tallies",
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="websocket handshakes in flight at once"
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-migrate", action="store_true")
    parser.add_argument(
        "--merge", type=Path, nargs="+", help="only summarise the runs of earlier --out files"
    )
    args = parser.parse_args()
    if args.merge:
        runs = [r for path in args.merge for r in json.loads(path.read_text())["runs"]]
        text, summary = summarise(runs, args.timeout)
        print(text)
        if args.out:
            args.out.write_text(
                json.dumps({"runs": runs, "summary": summary}, indent=1, ensure_ascii=False)
            )
        return

    if args.workers > 1 and args.db != "postgres":
        parser.error("--workers > 1 needs --db postgres (the in-memory layer is per process)")
    env = configure_env(args.db)
    raise_fd_limit()
    if not args.no_migrate:
        database_prepare(env)
    import django

    django.setup()
    from bench import live_seed
    from bench.floor.table import ensure_table

    ensure_table()
    community, facilitator, users = live_seed.users_ensure(max(args.n))
    print(
        f"# {args.db}: {os.environ['DATABASE_URL']} layer="
        f"{'redis ' + os.environ['REDIS_URL'] if os.environ.get('REDIS_URL') else 'in-memory'}"
        f"; nproc={os.cpu_count()}",
        flush=True,
    )
    runs = []
    for n in args.n:
        for rep in range(args.reps):
            for target in args.targets:
                run = measure(
                    target=target,
                    n=n,
                    rep=rep,
                    args=args,
                    env=env,
                    users=users,
                    facilitator=facilitator,
                    community=community,
                )
                runs.append(run)
                print(json.dumps(run, ensure_ascii=False), flush=True)
    text, summary = summarise(runs, args.timeout)
    print(text)
    out = args.out or BASE / "var" / "bench" / f"live-{args.db}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": runs, "summary": summary}, indent=1, ensure_ascii=False))
    print(f"# written {out}")


if __name__ == "__main__":
    main()
