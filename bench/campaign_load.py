"""Owners' campaign under load (issue 15 point 8): the last hour of a 5,700-household estate.

Against a running daphne server (started here, ``DEBUG=0``, PostgreSQL + Redis) on the estate of
``bench/campaign_seed.py``, in one run and at the same time:

- owners cast ~6,000 ballots over three channels, each like its client does: the **web form**
  (GET the poll page for its CSRF cookie and token, POST the form, follow a refusal's redirect
  to read the message), the **JSON API** (``POST /api/polls/<id>/ballots/`` with the CSRF cookie
  and header) and **websockets** (the poll is on a live meeting's agenda: open the meeting
  socket, wait for ``state``, send ``ballot.cast``, wait for ``ballot.accepted`` or ``error``).
  Deliberate duplicates: the same owner again over another channel, the co-owner of the same
  unit over another channel, and paper ballots of owners who also vote online;
- committee staff enter paper ballots through the admin's entry page (multipart, with a photo
  of the signed ballot) and other staff confirm them on the review page (four eyes);
- watchers (signed-in committee staff) poll the campaign view and, alternately, the floor (the
  bare Django page of ``bench/http_bare.py``, same server) every ``--interval`` seconds.

"The last hour" is compressed into ``--burst`` seconds (arrival times spread uniformly).
Afterwards it reads the database: ballots stored per channel, acknowledged ballots missing
(``lost``), owners or units counted twice (``doubled``), choices stored other than sent, and an
independent recount (raw SQL rows: ballots, the frozen electorate's units, the units' areas;
no project counting code) of heads and area per option, compared with the bench's own ledger of
acknowledged ballots, ``votes.tally.poll_tally`` and ``campaign_progress``. Prints one JSON line
per run and the medians; exits 1 if anything is lost, doubled or unequal in any run.

    flock /tmp/bench.lock .venv/bin/python bench/campaign_load.py --reps 3

Defaults: ``postgres://postgres@127.0.0.1:5432/sifang_campaign`` and Redis db 10 unless
``DATABASE_URL`` / ``REDIS_URL`` are set; daphne on ``--port`` (8520) and up. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BASE = Path(__file__).resolve().parent.parent
# Run as a script, bench/ would come first on the path and bench/http.py shadow the stdlib's.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BASE / "bench"]
sys.path.insert(0, str(BASE))

from bench.live_vote import (  # noqa: E402
    Server,
    database_prepare,
    pct,
    raise_fd_limit,
    redis_flush,
    servers_start,
)

PG_URL = "postgres://postgres@127.0.0.1:5432/sifang_campaign"
REDIS_URL = "redis://127.0.0.1:6379/10?socket_timeout=30&max_connections=2000"
TARGET_VIEW_S = 1.0
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RECEIPT = re.compile(r'data-testid="receipt">([^<]+)<')
ENTRY_ID = re.compile(r'name="entry" value="(\d+)"')


# --- a small HTTP/1.1 client (the venv has no aiohttp) --------------------------------------


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Browser:
    """One browser: a keep-alive connection to one server and a cookie jar."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 120.0,
    ) -> Response:
        for attempt in (0, 1):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), timeout
                )
            try:
                return await asyncio.wait_for(
                    self._exchange(method, path, body, content_type, headers or {}), timeout
                )
            except (ConnectionError, asyncio.IncompleteReadError, HttpError):
                await self.close()
                # A kept-alive connection the server closed meanwhile: retry once on a new one
                # (a request that reached the server never fails this way: it was answered).
                if fresh or attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(
        self,
        method: str,
        path: str,
        body: bytes | None,
        content_type: str | None,
        extra: dict[str, str],
    ) -> Response:
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
            if content_type:
                lines.append(f"Content-Type: {content_type}")
        lines += [f"{k}: {v}" for k, v in extra.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise HttpError("connection closed")
        status = int(status_line.split()[1])
        headers: list[tuple[str, str]] = []
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip().lower(), value.strip()))
        response = Response(status, headers, b"")
        if response.header("transfer-encoding") == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            response.body = b"".join(chunks)
        elif (length := response.header("content-length")) is not None:
            response.body = await self.reader.readexactly(int(length))
        else:
            response.body = await self.reader.read()
            await self.close()
        for name, value in headers:
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "max-age=0" in value.lower() or cookie_value in ('""', ""):
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = cookie_value
        if (response.header("connection") or "").lower() == "close":
            await self.close()
        return response


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    boundary = "----sifangbench" + "".join(random.choices("abcdef0123456789", k=16))
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, ctype, data) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def evidence_png() -> bytes:
    """A small photo of a signed paper ballot (any whole PNG will do)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (240, 240, 230)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- the plan of one run --------------------------------------------------------------------


@dataclass
class Act:
    """One ballot an owner (or staff for them) sends."""

    at: float  # seconds after the burst start
    channel: str  # form, api, ws, paper
    kind: str  # first, again (same owner), coowner (other owner of the unit), paper_conflict
    voter_key: str
    choice: int
    user_id: int | None = None
    session: str = ""
    code: str = ""  # paper: the unit's ballot code
    server: int = 0
    sent_at: float | None = None
    done_at: float | None = None
    receipt: str | None = None
    refused: str | None = None  # a refusal code, or an error of the client/server


@dataclass
class Scene:
    poll: int
    community: str
    meeting: int
    options: list[int]
    staff_enter: list[str]
    staff_confirm: list[str]
    watchers: list[str]
    acts: list[Act]


def scene_new(args: argparse.Namespace, rep: int) -> Scene:
    """A fresh owners' poll on the estate (its campaign rows and codes), on a live meeting's
    agenda, staff and owner sessions, and the schedule of every ballot."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from bench.campaign_seed import estate_ensure, poll_new
    from bench.live_seed import sessions_new
    from deliberation.models import Member, Proposal, ProposalStatus, User
    from deliberation.registry.rules import Role
    from deliberation.registry.services import staff_member_set
    from meetings import services as meeting_services
    from votes.models import CampaignUnit

    community, staff = estate_ensure(args.households)
    poll = poll_new(community, staff, args.households)
    # The notices of the poll's opening went out long before its last hour: mark them sent
    # (sending 5,000 console SMS here would only slow the set-up), so that the burst's worker
    # queue holds the burst's own notices only.
    from deliberation.models import Notification, NotificationStatus

    Notification.objects.filter(status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SENT, sent_at=timezone.now()
    )
    options = list(poll.options.order_by("sort_order", "pk").values_list("pk", flat=True))
    # The owners' poll on a live meeting's agenda, so that owners can vote over its websocket.
    author = Member.objects.filter(community=community, user=staff).first()
    if author is None:
        author = Member.objects.create(community=community, user=staff, party="committee")
    with transaction.atomic():
        proposal = Proposal.objects.create(
            community=community,
            title="压测:加装电梯",
            body="压测用议题",
            party=author.party,
            author=author,
            status=ProposalStatus.ACCEPTED,
        )
        meeting = meeting_services.meeting_schedule(
            community=community,
            title="压测业主大会(线上)",
            starts_at=timezone.now() + timedelta(minutes=5),
            place="线上",
            facilitator=staff,
            actor=staff,
            proposals=[proposal],
            polls={proposal.pk: poll},
        )
    meeting_services.meeting_open(meeting=meeting, actor=staff)

    def staff_users(prefix: str, n: int) -> list[Any]:
        users = []
        for i in range(n):
            user, _ = User.objects.get_or_create(
                username=f"{prefix}{i:02d}",
                defaults={"display_name": f"压测工作人员{prefix[-2:]}{i:02d}", "password": "!"},
            )
            staff_member_set(community=community, user=user, role=Role.FACILITATOR)
            users.append(user)
        return users

    enterers = staff_users("bench-enter-", args.enterers)
    confirmers = staff_users("bench-confirm-", args.confirmers)
    watch_users = staff_users("bench-watch-", min(args.watchers, 30))
    watchers = sessions_new([watch_users[i % len(watch_users)] for i in range(args.watchers)])

    rng = random.Random(1000 + rep)
    voters = [v for v in poll.frozen_electorate if v.get("user_ids")]
    rng.shuffle(voters)
    codes = dict(
        CampaignUnit.objects.filter(poll=poll).values_list("unit_id", "code")  # type: ignore[misc]
    )
    yes, no, abstain = options[0], options[1], options[2]

    def choose() -> int:
        r = rng.random()
        return yes if r < 0.7 else no if r < 0.93 else abstain

    paper = voters[: args.paper]
    online = voters[args.paper : len(voters) - args.abstain]
    acts: list[Act] = []
    channels = ["form", "api", "ws"]
    for i, voter in enumerate(online):
        acts.append(
            Act(
                at=rng.uniform(0, args.burst),
                channel=channels[i % 3],
                kind="first",
                voter_key=voter["key"],
                choice=choose(),
                user_id=voter["user_ids"][0],
            )
        )
    for voter in paper:
        unit = voter["units"][0]["id"]
        acts.append(
            Act(
                at=rng.uniform(0, args.burst * 0.9),
                channel="paper",
                kind="first",
                voter_key=voter["key"],
                choice=choose(),
                code=codes[unit],
            )
        )
    firsts = [a for a in acts if a.channel != "paper"]
    conflicts = rng.sample(firsts, min(args.paper_conflicts, len(firsts)))
    by_key = {v["key"]: v for v in voters}
    for act in conflicts:
        unit = by_key[act.voter_key]["units"][0]["id"]
        acts.append(
            Act(
                at=min(args.burst, act.at + rng.uniform(-5, 5)) if act.at > 5 else act.at + 1,
                channel="paper",
                kind="paper_conflict",
                voter_key=act.voter_key,
                choice=choose(),
                code=codes[unit],
            )
        )
    # Co-owners of one unit (one voter): the other owner votes too, over another channel.
    coowned = [a for a in firsts if len(by_key[a.voter_key]["user_ids"]) > 1]
    for act in rng.sample(coowned, min(args.coowner_dups, len(coowned))):
        other = next(u for u in by_key[act.voter_key]["user_ids"] if u != act.user_id)
        acts.append(
            Act(
                at=max(0.0, min(args.burst, act.at + rng.uniform(-2, 2))),
                channel=rng.choice([c for c in channels if c != act.channel]),
                kind="coowner",
                voter_key=act.voter_key,
                choice=choose(),
                user_id=other,
            )
        )
    # The same owner again over another channel (double click, phone and laptop), up to the
    # total number of ballots asked for.
    again = max(0, args.ballots - len(acts))
    for act in rng.sample(firsts, min(again, len(firsts))):
        acts.append(
            Act(
                at=max(0.0, min(args.burst, act.at + rng.uniform(-1, 1))),
                channel=rng.choice([c for c in channels if c != act.channel]),
                kind="again",
                voter_key=act.voter_key,
                choice=choose(),
                user_id=act.user_id,
            )
        )
    online_acts = [a for a in acts if a.user_id is not None]
    users = {u.pk: u for u in User.objects.filter(pk__in={a.user_id for a in online_acts})}
    # One session per browser (an owner on two channels has two devices).
    keys = sessions_new([users[a.user_id] for a in online_acts])  # type: ignore[index]
    for act, key in zip(online_acts, keys, strict=True):
        act.session = key
    for i, act in enumerate(acts):
        act.server = i % args.workers
    acts.sort(key=lambda a: a.at)
    return Scene(
        poll=poll.pk,
        community=community.slug,
        meeting=meeting.pk,
        options=options,
        staff_enter=sessions_new(enterers),
        staff_confirm=sessions_new(confirmers),
        watchers=watchers,
        acts=acts,
    )


# --- the clients ----------------------------------------------------------------------------

REFUSAL_TEXT: dict[str, str] = {}


def refusal_texts() -> dict[str, str]:
    """The votes service's refusal messages (as the form shows them) by code."""
    from django.utils import translation

    from votes.exceptions import REFUSAL_MESSAGES

    with translation.override("zh-hans"):
        return {str(message): code for code, message in REFUSAL_MESSAGES.items()}


def refusal_in(html: str) -> str:
    text = unescape(html)
    for message, code in REFUSAL_TEXT.items():
        if message and message in text:
            return code
    return "form_refused_unknown"


async def vote_form(act: Act, scene: Scene, host: str, port: int) -> None:
    browser = Browser(host, port, {"sessionid": act.session})
    detail = f"/{scene.community}/polls/{scene.poll}/"
    try:
        page = await browser.request("GET", detail)
        if page.status != 200:
            act.refused = f"http_{page.status}_get"
            return
        token = CSRF_INPUT.search(page.text)
        if token is None or f'action="{detail}vote/"' not in page.text:
            # The page offers no ballot: this owner already voted (another device got there).
            act.refused = "form_not_offered"
            return
        body = urlencode({"csrfmiddlewaretoken": token.group(1), "choice": str(act.choice)})
        act.sent_at = time.monotonic()
        answer = await browser.request(
            "POST",
            detail + "vote/",
            body=body.encode(),
            content_type="application/x-www-form-urlencoded",
            headers={"Origin": browser.origin, "Referer": browser.origin + detail},
        )
        act.done_at = time.monotonic()
        if answer.status == 200 and (found := RECEIPT.search(answer.text)):
            act.receipt = found.group(1).strip()
        elif answer.status == 302:
            # Refused: the form redirects to the poll page, which shows the message.
            location = (answer.header("location") or detail).split("#", 1)[0]
            again = await browser.request("GET", location)
            act.refused = refusal_in(again.text)
        else:
            act.refused = f"http_{answer.status}"
    finally:
        await browser.close()


async def vote_api(act: Act, scene: Scene, host: str, port: int) -> None:
    # The CSRF cookie a page of the site set earlier, sent back in the header (double submit).
    token = "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=32))
    browser = Browser(host, port, {"sessionid": act.session, "csrftoken": token})
    try:
        act.sent_at = time.monotonic()
        answer = await browser.request(
            "POST",
            f"/api/polls/{scene.poll}/ballots/",
            body=json.dumps({"choice": act.choice}).encode(),
            content_type="application/json",
            headers={"X-CSRFToken": token, "Origin": browser.origin},
        )
        act.done_at = time.monotonic()
        if answer.status == 201:
            act.receipt = json.loads(answer.body)["receipt"]
        else:
            try:
                act.refused = json.loads(answer.body).get("code") or f"http_{answer.status}"
            except ValueError:
                act.refused = f"http_{answer.status}"
    finally:
        await browser.close()


async def vote_ws(act: Act, scene: Scene, host: str, port: int, timeout: float) -> None:
    from websockets.asyncio.client import connect

    origin = f"http://{host}:{port}"
    async with connect(
        f"ws://{host}:{port}/ws/meetings/{scene.meeting}/",
        origin=origin,  # type: ignore[arg-type]
        additional_headers=[("Cookie", f"sessionid={act.session}")],
        open_timeout=timeout,
        ping_interval=None,
        close_timeout=2,
        max_size=2**24,
        compression=None,
    ) as ws:

        async def until(kinds: set[str]) -> dict[str, Any]:
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") in kinds:
                    return frame

        await asyncio.wait_for(until({"state"}), timeout)
        act.sent_at = time.monotonic()
        await ws.send(
            json.dumps(
                {"type": "ballot.cast", "poll": scene.poll, "choice": act.choice, "ref": "b"}
            )
        )
        frame = await asyncio.wait_for(until({"ballot.accepted", "error"}), timeout)
        act.done_at = time.monotonic()
        if frame["type"] == "ballot.accepted":
            act.receipt = frame["receipt"]
        else:
            act.refused = frame.get("code") or "error"


async def enter_paper(act: Act, scene: Scene, browser: Browser, png: bytes, n: int) -> None:
    """Staff scan the ballot's code, fill in the entry form with the photo, save."""
    path = f"/admin/campaign/{scene.poll}/entry/"
    page = await browser.request("GET", f"{path}?code={act.code}")
    token = CSRF_INPUT.search(page.text)
    if page.status != 200:
        act.refused = f"entry_page_http_{page.status}"
        return
    if token is None or 'name="evidence"' not in page.text:
        act.refused = "entry_not_offered"  # the page says the owner has voted: no form
        return
    body, ctype = multipart(
        {
            "csrfmiddlewaretoken": token.group(1),
            "code": act.code,
            "channel": "paper",
            "choice": str(act.choice),
            "signer_name": f"签字人{n:04d}",
            "signer_id": f"11010119800101{n:04d}",
        },
        {"evidence": ("ballot.png", "image/png", png)},
    )
    act.sent_at = time.monotonic()
    answer = await browser.request(
        "POST",
        path,
        body=body,
        content_type=ctype,
        headers={"Origin": browser.origin, "Referer": browser.origin + path},
    )
    act.done_at = time.monotonic()
    if answer.status == 302:
        act.receipt = "entered"  # waits for a second person; the outcome is read back later
    else:
        act.refused = (
            "entry_" + refusal_in(answer.text)
            if answer.status == 400
            else (f"entry_http_{answer.status}")
        )


async def confirm_loop(
    scene: Scene, browser: Browser, stop: asyncio.Event, stats: Counter[str], share: tuple[int, int]
) -> None:
    """A second staff member: open the pending list, confirm every entry of their share of the
    pile on it (``share``: this one's number and how many confirm), again."""
    path = f"/admin/campaign/{scene.poll}/entries/"
    while True:
        finished = stop.is_set()
        page = await browser.request("GET", path)
        stats["list_pages"] += 1
        token = CSRF_INPUT.search(page.text)
        ids = [i for i in ENTRY_ID.findall(page.text) if int(i) % share[1] == share[0]]
        for entry in dict.fromkeys(ids):
            assert token is not None
            answer = await browser.request(
                "POST",
                path,
                body=urlencode({"csrfmiddlewaretoken": token.group(1), "entry": entry}).encode(),
                content_type="application/x-www-form-urlencoded",
                headers={"Origin": browser.origin, "Referer": browser.origin + path},
            )
            stats[f"confirm_http_{answer.status}"] += 1
        if finished and not ids:
            return
        if not ids:
            await asyncio.sleep(1.0)


@dataclass
class WatchLog:
    view: list[float] = field(default_factory=list)  # the live numbers (progress.json)
    page: list[float] = field(default_factory=list)  # the whole campaign view page
    floor: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


async def watch(
    scene: Scene,
    browser: Browser,
    target: str,
    interval: float,
    reload_every: int,
    stop: asyncio.Event,
    log: WatchLog,
    phase: float,
) -> None:
    """Every ``interval`` s one request, alternately the campaign view and the floor.

    ``target`` ``live`` (as the page works): the page, then its numbers (``progress.json``),
    the whole page again every ``reload_every``-th time; ``page``: the whole page every time.
    """
    page = f"/admin/campaign/{scene.poll}/"
    numbers = f"/admin/campaign/{scene.poll}/progress.json"
    await asyncio.sleep(phase)
    turn = 0
    while not stop.is_set():
        started = time.monotonic()
        if turn % 2:
            what, path, into = "floor", "/bench/bare/", log.floor
        elif target == "page" or (turn // 2) % reload_every == 0:
            what, path, into = "page", page, log.page
        else:
            what, path, into = "view", numbers, log.view
        try:
            answer = await browser.request("GET", path)
            took = time.monotonic() - started
            if answer.status == 200:
                into.append(took)
            else:
                log.errors[f"{what}_http_{answer.status}"] += 1
        except Exception as exc:  # a dropped connection or a timeout: counted, not fatal
            log.errors[f"{what}_{type(exc).__name__}"] += 1
            await browser.close()
        turn += 1
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


async def drive(scene: Scene, args: argparse.Namespace, ports: list[int]) -> dict[str, Any]:
    host = "127.0.0.1"
    png = evidence_png()
    stop_watch = asyncio.Event()
    stop_confirm = asyncio.Event()
    log = WatchLog()
    confirm_stats: Counter[str] = Counter()
    watchers = [
        asyncio.ensure_future(
            watch(
                scene,
                Browser(host, ports[i % len(ports)], {"sessionid": key}),
                args.watch,
                args.interval,
                args.reload_every,
                stop_watch,
                log,
                phase=args.interval * i / max(1, len(scene.watchers)),
            )
        )
        for i, key in enumerate(scene.watchers)
    ]
    t0 = time.monotonic()
    online = [a for a in scene.acts if a.channel != "paper"]
    paper = [a for a in scene.acts if a.channel == "paper"]

    async def run(act: Act) -> None:
        await asyncio.sleep(max(0.0, t0 + act.at - time.monotonic()))
        port = ports[act.server % len(ports)]
        try:
            if act.channel == "form":
                await vote_form(act, scene, host, port)
            elif act.channel == "api":
                await vote_api(act, scene, host, port)
            else:
                await vote_ws(act, scene, host, port, args.timeout)
        except Exception as exc:
            act.refused = f"client_{type(exc).__name__}"

    queue: asyncio.Queue[Act] = asyncio.Queue()

    async def feed() -> None:
        for act in paper:
            await asyncio.sleep(max(0.0, t0 + act.at - time.monotonic()))
            queue.put_nowait(act)

    async def enterer(key: str, i: int) -> None:
        browser = Browser(host, ports[i % len(ports)], {"sessionid": key})
        while True:
            act = await queue.get()
            if act is None:  # type: ignore[comparison-overlap]
                break
            try:
                await enter_paper(act, scene, browser, png, hash(act.voter_key) % 10000)
            except Exception as exc:
                act.refused = f"client_{type(exc).__name__}"
                await browser.close()
        await browser.close()

    confirmers = [
        asyncio.ensure_future(
            confirm_loop(
                scene,
                Browser(host, ports[(i + 1) % len(ports)], {"sessionid": key}),
                stop_confirm,
                confirm_stats,
                (i, len(scene.staff_confirm)),
            )
        )
        for i, key in enumerate(scene.staff_confirm)
    ]
    enterers = [asyncio.ensure_future(enterer(k, i)) for i, k in enumerate(scene.staff_enter)]
    await asyncio.gather(feed(), *(run(a) for a in online))
    online_done = time.monotonic() - t0
    for _ in enterers:
        queue.put_nowait(None)  # type: ignore[arg-type]
    await asyncio.gather(*enterers)
    paper_done = time.monotonic() - t0
    stop_confirm.set()
    try:
        await asyncio.wait_for(asyncio.gather(*confirmers), args.timeout)
    except TimeoutError:
        confirm_stats["confirm_timed_out"] += 1
    stop_watch.set()
    await asyncio.gather(*watchers)
    return {
        "online_done_s": round(online_done, 1),
        "paper_entered_s": round(paper_done, 1),
        "all_done_s": round(time.monotonic() - t0, 1),
        "watch": log,
        "confirm": dict(confirm_stats),
    }


# --- the database after the burst -----------------------------------------------------------


def recount_raw(poll_id: int) -> dict[str, Any]:
    """Heads and area per option from raw rows (SQL), without the project's counting code:
    the stored ballots, the frozen electorate's units per voter, the units' registered areas."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select frozen_electorate from votes_poll where id = %s", [poll_id])
        raw = cursor.fetchone()[0]
        electorate = json.loads(raw) if isinstance(raw, str) else raw
        cursor.execute(
            "select voter_key, choice, channel from votes_ballot where poll_id = %s", [poll_id]
        )
        ballots = cursor.fetchall()
        cursor.execute(
            "select u.id, u.area_m2 from deliberation_unit u where u.id = any(%s)",
            [[u["id"] for v in electorate for u in v["units"]]],
        )
        areas = {uid: Decimal(a) for uid, a in cursor.fetchall()}
    units_of = {v["key"]: [u["id"] for u in v["units"]] for v in electorate}
    heads: Counter[int] = Counter()
    area: defaultdict[int, Decimal] = defaultdict(Decimal)
    unit_uses: Counter[int] = Counter()
    keys: Counter[str] = Counter()
    for key, choice, _channel in ballots:
        choice = json.loads(choice) if isinstance(choice, str) else choice
        option = int(choice["choice"])
        keys[key] += 1
        heads[option] += 1
        for uid in units_of[key]:
            area[option] += areas[uid]
            unit_uses[uid] += 1
    return {
        "heads": dict(heads),
        "area": {k: str(v) for k, v in area.items()},
        "ballots": len(ballots),
        "voters_twice": sum(1 for n in keys.values() if n > 1),
        "units_twice": sum(1 for n in unit_uses.values() if n > 1),
        "units_of": units_of,
        "areas": areas,
    }


def check(scene: Scene) -> dict[str, Any]:
    from django.db import close_old_connections
    from django.db.models import Count

    from votes.campaign.selectors import campaign_progress
    from votes.models import Ballot, BallotEntry, EntryStatus, Participation, Poll
    from votes.tally import poll_tally

    close_old_connections()
    poll = Poll.objects.get(pk=scene.poll)
    stored = {
        b["voter_key"]: b
        for b in Ballot.objects.filter(poll=poll).values(
            "voter_key", "receipt", "choice", "channel"
        )
    }
    receipts = {b["receipt"]: b for b in stored.values()}
    acked = [a for a in scene.acts if a.receipt and a.channel != "paper"]
    lost = [a for a in acked if a.receipt not in receipts]
    wrong_choice = [
        a
        for a in acked
        if a.receipt in receipts and receipts[a.receipt]["choice"] != {"choice": a.choice}
    ]
    acked_per_key = Counter(a.voter_key for a in acked)
    entries = list(
        BallotEntry.objects.filter(poll=poll).values(
            "voter_key",
            "status",
            "receipt",
            "choice",
            "entered_by_id",
            "decided_by_id",
            "reject_reason",
        )
    )
    confirmed = [e for e in entries if e["status"] == EntryStatus.CONFIRMED]
    four_eyes_broken = sum(1 for e in confirmed if e["entered_by_id"] == e["decided_by_id"])
    paper_lost = [e for e in confirmed if e["receipt"] not in receipts]
    # Doubled: an owner acknowledged twice (two receipts), or an owner with an acknowledged
    # online ballot and a confirmed paper one, or stored twice.
    confirmed_keys = Counter(e["voter_key"] for e in confirmed)
    twice_acked = sum(1 for n in acked_per_key.values() if n > 1)
    online_and_paper = sum(1 for k in confirmed_keys if k in acked_per_key)
    participations = (
        Participation.objects.filter(poll=poll).values("voter_key").annotate(n=Count("pk"))
    )
    stored_twice = sum(1 for p in participations if p["n"] > 1)
    raw = recount_raw(poll.pk)
    # Stored without an acknowledgement: a ballot committed whose answer the client never got
    # (an HTTP 500 or a timeout after the commit). Ambiguous for the owner, who sees an error
    # and, trying again, "already voted"; a phantom if no request of that owner failed so.
    acked_keys = {a.voter_key for a in acked}
    unacked = set(stored) - acked_keys - set(confirmed_keys)
    failed_sends: dict[str, set[int]] = defaultdict(set)
    for a in scene.acts:
        if (
            a.voter_key in unacked
            and a.refused
            and ("http_5" in a.refused or "client_" in a.refused)
        ):
            failed_sends[a.voter_key].add(a.choice)
    phantom = [k for k in unacked if k not in failed_sends]
    unacked_choice_differs = [
        k
        for k in unacked
        if k in failed_sends and int(stored[k]["choice"]["choice"]) not in failed_sends[k]
    ]
    # The bench's own ledger: what it was told was accepted (online receipts, confirmed entries),
    # plus the ambiguous ones above with the choice stored (checked against what was sent).
    ledger_heads: Counter[int] = Counter()
    ledger_area: defaultdict[int, Decimal] = defaultdict(Decimal)
    for key, option in (
        [(a.voter_key, a.choice) for a in acked]
        + [(e["voter_key"], int(e["choice"]["choice"])) for e in confirmed if e["choice"]]
        + [(k, int(stored[k]["choice"]["choice"])) for k in unacked if k in failed_sends]
    ):
        ledger_heads[option] += 1
        ledger_area[option] += sum(raw["areas"][u] for u in raw["units_of"][key])
    tally = poll_tally(poll)
    project_heads = {o["id"]: o["headcount"] for o in tally["options"] if o["headcount"]}
    project_area = {o["id"]: o["area"] for o in tally["options"] if o["headcount"]}
    progress = campaign_progress(poll)
    raw_hp = sum(raw["heads"].values())
    raw_ap = sum(Decimal(v) for v in raw["area"].values())
    ledger = {
        "heads": dict(ledger_heads),
        "area": {k: str(v) for k, v in ledger_area.items()},
    }
    recount = {"heads": raw["heads"], "area": raw["area"]}
    project = {"heads": project_heads, "area": project_area}
    by_channel_acts = Counter(a.channel for a in acked)
    refused = Counter(f"{a.channel}:{a.refused}" for a in scene.acts if a.refused)
    by_kind = Counter(f"{a.kind}:{'ok' if a.receipt else 'refused'}" for a in scene.acts)
    unanswered = [a for a in scene.acts if not a.receipt and not a.refused]
    stored_unacked = len(stored) - len({a.voter_key for a in acked}) - len(confirmed_keys)
    return {
        "ballots_sent": len(scene.acts),
        "acknowledged": dict(by_channel_acts)
        | {"paper_entered": sum(1 for a in scene.acts if a.channel == "paper" and a.receipt)},
        "stored": len(stored),
        "stored_by_channel": dict(Counter(b["channel"] for b in stored.values())),
        "paper_entries": dict(Counter(e["status"] for e in entries)),
        "paper_rejected_reasons": dict(
            Counter(e["reject_reason"][:40] for e in entries if e["status"] == EntryStatus.REJECTED)
        ),
        "refused": dict(sorted(refused.items())),
        "outcome_by_kind": dict(sorted(by_kind.items())),
        "unanswered": len(unanswered),
        "lost": len(lost) + len(paper_lost),
        "doubled": twice_acked
        + online_and_paper
        + stored_twice
        + raw["voters_twice"]
        + raw["units_twice"],
        "doubled_detail": {
            "owner_acknowledged_twice": twice_acked,
            "online_and_confirmed_paper": online_and_paper,
            "participation_twice": stored_twice,
            "ballot_rows_twice": raw["voters_twice"],
            "unit_in_two_ballots": raw["units_twice"],
        },
        "stored_without_ack": stored_unacked,
        "stored_after_client_error": len(unacked) - len(phantom),
        "stored_after_client_error_outcomes": dict(
            Counter(f"{a.channel}:{a.refused}" for a in scene.acts if a.voter_key in failed_sends)
        ),
        "phantom": len(phantom),
        "choice_differs": len(wrong_choice) + len(unacked_choice_differs),
        "four_eyes_broken": four_eyes_broken,
        "recount": recount,
        "recount_equals_ledger": recount == ledger,
        "recount_equals_tally": recount["heads"] == project["heads"]
        and {k: Decimal(v) for k, v in recount["area"].items()}
        == {k: Decimal(v) for k, v in project["area"].items()},
        "recount_equals_progress": (raw_hp, raw_ap) == (progress.hp, progress.ap),
        "progress": {
            "hp": progress.hp,
            "ap": str(progress.ap),
            "ht": progress.ht,
            "at": str(progress.at),
        },
    }


# --- one run, the summary -------------------------------------------------------------------


def latency(values: list[float]) -> dict[str, Any]:
    r = lambda v: None if v is None else round(v, 3)  # noqa: E731
    return {
        "n": len(values),
        "p50": r(pct(values, 50)),
        "p95": r(pct(values, 95)),
        "p99": r(pct(values, 99)),
        "max": r(max(values) if values else None),
    }


def measure(args: argparse.Namespace, env: dict[str, str], rep: int) -> dict[str, Any]:
    started = time.monotonic()
    scene = scene_new(args, rep)
    setup_s = time.monotonic() - started
    from django.db import connections

    connections.close_all()
    redis_flush(env)
    ports = [args.port + i for i in range(args.workers)]
    logs = [BASE / "var" / "bench" / f"campaign-daphne-{rep}-w{i}.log" for i in range(args.workers)]
    load_before = os.getloadavg()[0]
    servers: list[Server] = servers_start(env, ports, logs, "bench.http_asgi:application")
    try:
        result = asyncio.run(drive(scene, args, ports))
    finally:
        rss = [s.peak_rss_mb() for s in servers]
        for server in servers:
            server.stop()
    load_after = os.getloadavg()[0]
    log: WatchLog = result.pop("watch")
    view, page, floor = latency(log.view), latency(log.page), latency(log.floor)
    acts = scene.acts
    per_channel = {
        c: latency(
            [a.done_at - a.sent_at for a in acts if a.channel == c and a.done_at and a.sent_at]
        )
        for c in ("form", "api", "ws", "paper")
    }
    outcome = check(scene)

    def ratio(of: dict[str, Any]) -> dict[str, Any]:
        return {
            k: round(of[k] / floor[k], 2) if of[k] and floor[k] else None
            for k in ("p50", "p95", "p99", "max")
        }

    return {
        "rep": rep,
        "poll": scene.poll,
        "workers": args.workers,
        "burst_s": args.burst,
        "watchers": len(scene.watchers),
        "watch": args.watch,
        "interval_s": args.interval,
        "setup_s": round(setup_s, 1),
        **result,
        "view_s": view,
        "page_s": page,
        "floor_s": floor,
        "view_over_floor": ratio(view),
        "page_over_floor": ratio(page),
        "watch_errors": dict(log.errors),
        "ballot_latency_s": per_channel,
        **outcome,
        "server_peak_rss_mb": rss,
        "load_1min": [round(load_before, 1), round(load_after, 1)],
    }


def failed(run: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("lost", "doubled", "choice_differs", "four_eyes_broken", "unanswered", "phantom"):
        if run.get(key):
            problems.append(f"{key}={run[key]}")
    for key in ("recount_equals_ledger", "recount_equals_tally", "recount_equals_progress"):
        if not run[key]:
            problems.append(f"{key}=false")
    return problems


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(path: list[str]) -> float | None:
        values = []
        for run in runs:
            v: Any = run
            for p in path:
                v = v.get(p) if isinstance(v, dict) else None
            values.append(float("inf") if v is None else v)
        m = statistics.median(values) if values else None
        return None if m in (None, float("inf")) else round(m, 3)

    summary: dict[str, Any] = {"runs": len(runs)}
    for q in ("p50", "p95", "p99", "max"):
        summary[f"view_{q}_s"] = med(["view_s", q])
        summary[f"floor_{q}_s"] = med(["floor_s", q])
        summary[f"view_over_floor_{q}"] = med(["view_over_floor", q])
        summary[f"page_{q}_s"] = med(["page_s", q])
        summary[f"page_over_floor_{q}"] = med(["page_over_floor", q])
    for c in ("form", "api", "ws", "paper"):
        summary[f"{c}_p50_s"] = med(["ballot_latency_s", c, "p50"])
        summary[f"{c}_p99_s"] = med(["ballot_latency_s", c, "p99"])
    summary["stored"] = med(["stored"])
    summary["all_done_s"] = med(["all_done_s"])
    summary["lost_any_run"] = sum(r["lost"] for r in runs)
    summary["doubled_any_run"] = sum(r["doubled"] for r in runs)
    summary["recount_equal_every_run"] = all(
        r["recount_equals_ledger"] and r["recount_equals_tally"] and r["recount_equals_progress"]
        for r in runs
    )
    for what in ("view", "page"):
        summary[f"{what}_p99_under_{TARGET_VIEW_S:g}s"] = (
            summary[f"{what}_p99_s"] is not None and summary[f"{what}_p99_s"] < TARGET_VIEW_S
        )
    summary["load_1min"] = [r["load_1min"] for r in runs]
    return summary


def configure_env(pool: int) -> dict[str, str]:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.http_settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DATABASE_URL", PG_URL)
    os.environ.setdefault("REDIS_URL", REDIS_URL)
    # As deployed: tasks (notices, receipts by SMS) queued in the database for the worker.
    os.environ.setdefault("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
    os.environ.setdefault("DB_POOL_MAX_SIZE", str(pool))
    return dict(os.environ)


def main() -> None:
    parser = argparse.ArgumentParser(description="Owners' campaign under load (module doc).")
    parser.add_argument("--households", type=int, default=5700)
    parser.add_argument("--ballots", type=int, default=6000, help="ballots sent in all")
    parser.add_argument("--paper", type=int, default=300, help="paper ballots (four eyes)")
    parser.add_argument(
        "--paper-conflicts",
        type=int,
        default=30,
        help="paper ballots of owners who also vote online",
    )
    parser.add_argument(
        "--coowner-dups", type=int, default=200, help="co-owners voting for the same unit"
    )
    parser.add_argument("--abstain", type=int, default=60, help="owners who do not vote")
    parser.add_argument(
        "--burst", type=float, default=120.0, help="seconds 'the last hour' is compressed into"
    )
    parser.add_argument("--watchers", type=int, default=300)
    parser.add_argument(
        "--watch",
        choices=["live", "page"],
        default="live",
        help="live: the page, then its numbers (progress.json, as the open page refreshes), the "
        "page again every --reload-every-th time; page: the whole page every time",
    )
    parser.add_argument("--reload-every", type=int, default=10)
    parser.add_argument(
        "--interval", type=float, default=2.0, help="seconds between a watcher's requests"
    )
    parser.add_argument("--enterers", type=int, default=4)
    parser.add_argument("--confirmers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="daphne processes (one per core)")
    parser.add_argument("--port", type=int, default=8520)
    parser.add_argument(
        "--pool",
        type=int,
        default=30,
        help="DB_POOL_MAX_SIZE of every process (0: persistent connections per thread)",
    )
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument(
        "--first-rep", type=int, default=0, help="number of the first run (seeds its plan)"
    )
    parser.add_argument(
        "--merge", type=Path, nargs="+", help="only summarise the runs of earlier --out files"
    )
    parser.add_argument("--no-migrate", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.merge:
        runs = [r for path in args.merge for r in json.loads(path.read_text())["runs"]]
        summary = summarise(runs)
        print(json.dumps(summary, ensure_ascii=False, indent=1))
        if args.out:
            args.out.write_text(
                json.dumps({"runs": runs, "summary": summary}, indent=1, ensure_ascii=False)
            )
        problems = [f"run {r['rep']}: {p}" for r in runs for p in failed(r)]
        if problems:
            print("# FAILED: " + "; ".join(problems), file=sys.stderr)
            sys.exit(1)
        return
    env = configure_env(args.pool)
    raise_fd_limit()
    if not args.no_migrate:
        database_prepare(env)
    import django

    django.setup()
    REFUSAL_TEXT.update(refusal_texts())
    print(
        f"# {os.environ['DATABASE_URL']} redis={os.environ['REDIS_URL']} nproc={os.cpu_count()}",
        flush=True,
    )
    runs = []
    for rep in range(args.first_rep, args.first_rep + args.reps):
        run = measure(args, env, rep)
        runs.append(run)
        print(json.dumps(run, ensure_ascii=False), flush=True)
    summary = summarise(runs)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    out = args.out or BASE / "var" / "bench" / "campaign-load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": runs, "summary": summary}, indent=1, ensure_ascii=False))
    print(f"# written {out}")
    problems = [f"run {r['rep']}: {p}" for r in runs for p in failed(r)]
    if problems:
        print("# FAILED: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
