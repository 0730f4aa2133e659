"""Live tallies: a poll's running count sent to its meeting, coalesced across processes.

``tally_request(meeting_id, poll_id, defer_while=...)`` asks for a tally broadcast. Requests are
coalesced per poll across processes with two cache keys: a *dirty* mark and a short *lock*.
Whoever holds the lock waits a short window, clears the mark, reads the tally from the database,
sends it and releases; the next tally waits for the previous send to finish. A process that
cannot take the lock keeps its mark and retries until someone has consumed it. So at most about
``1 / SIFANG_TALLY_INTERVAL`` tallies a second go out per poll, however many processes and
ballots, and the last ballot is always in some tally.

During a burst the lock holder first lets the acknowledgements owed in this process go out
(while ``defer_while()`` is true, at most ``TALLY_DEFER_MAX`` seconds): relaying a tally to a
thousand sockets holds the event loop for about a second, which the voters would otherwise wait
for their receipts. Receipts owed in other processes count too (``ballots_owed``): every
worker relays the tally to its own sockets.

The pump reads time through ``monotonic`` and ``sleep`` below, so a test can drive it with a
controlled clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from meetings.broadcast import encode, send_frames, send_frames_sync
from meetings.models import Meeting
from meetings.selectors import tally_sections
from votes.models import Poll

logger = logging.getLogger(__name__)

TALLY_DEFER_MAX = 2.0
PUMP_RETRIES = 5

# The pump's clock: seconds on a monotonic scale, and a coroutine that waits that many.
monotonic: Callable[[], float] = time.monotonic
sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


def tally_interval() -> float:
    return float(getattr(settings, "SIFANG_TALLY_INTERVAL", 0.3))


def _keys(poll_id: int) -> tuple[str, str]:
    return f"sifang:tally:dirty:{poll_id}", f"sifang:tally:lock:{poll_id}"


def _build_tally(meeting_id: int, poll_id: int) -> tuple[str, str] | None:
    """The tally frames (everyone's, facilitators') of the poll shown now, or None."""
    poll = Poll.objects.filter(pk=poll_id).first()
    row = Meeting.objects.filter(pk=meeting_id).values_list("seq", "current_item__poll_id").first()
    if poll is None or row is None or row[1] != poll_id:
        return None  # the agenda moved on: clients got the new sections with the move
    seq = row[0]
    public, staff = tally_sections(poll)
    return (
        encode({"type": "tally", "seq": seq, "tally": public}),
        encode({"type": "tally", "seq": seq, "tally": staff}),
    )


# Django's async cache methods run on the one thread that also commits ballot batches; the
# coalescing marks go to a thread of their own so they do not queue behind a batch.
async def _cache(method: str, *args: Any, **kwargs: Any) -> Any:
    return await sync_to_async(getattr(cache, method), thread_sensitive=False)(*args, **kwargs)


def _never() -> bool:
    return False


# Acknowledgements owed in *other* processes hold the tally back too: with several workers a
# tally relayed by worker B to its sockets in the middle of B's own burst delays B's receipts
# just as it would in the lock holder's process. Each process marks the polls of every batch
# it commits (``ballots_owed``) with its token and the wall time; the lock holder waits while
# another process marked one within ``OWED_GRACE`` seconds (bounded by ``TALLY_DEFER_MAX``), or
# until that process says its queue ran dry (``ballots_settled``), whichever comes first.
OWED_GRACE = 0.15
SETTLED = "settled"
_PROCESS = uuid.uuid4().hex[:12]


def _owed_key(poll_id: int) -> str:
    return f"sifang:tally:owed:{poll_id}"


async def ballots_owed(poll_ids: set[int]) -> None:
    """Tell the tally pumps of every process that receipts of these polls are being written
    here (called by the batcher around each batch)."""
    mark = f"{_PROCESS}:{time.time():.3f}"
    for poll_id in poll_ids:
        try:
            await _cache("set", _owed_key(poll_id), mark, timeout=10)
        except Exception:
            logger.exception("marking owed receipts of poll %s failed", poll_id)


async def ballots_settled(poll_ids: set[int]) -> None:
    """Tell the other processes' tally pumps that this process owes no more receipts of these
    polls (its ballot queue ran dry), so they need not wait out ``OWED_GRACE`` for it.

    Only a mark of this process is replaced; one that another process set in between the read
    and the write may be overwritten, which costs at most an early tally, never a lost one."""
    for poll_id in poll_ids:
        try:
            mark = await _cache("get", _owed_key(poll_id))
            if mark and str(mark).partition(":")[0] == _PROCESS:
                await _cache("set", _owed_key(poll_id), f"{_PROCESS}:{SETTLED}", timeout=10)
        except Exception:
            logger.exception("marking settled receipts of poll %s failed", poll_id)


async def _owed_elsewhere(poll_id: int) -> bool:
    try:
        mark = await _cache("get", _owed_key(poll_id))
    except Exception:
        return False
    if not mark:
        return False
    process, _sep, at = str(mark).partition(":")
    if process == _PROCESS or at == SETTLED:
        return False  # our own batches (``defer_while`` knows them exactly), or none left
    try:
        return time.time() - float(at) < OWED_GRACE
    except ValueError:
        return False


# Per (event loop, meeting, poll): the running pump and how many requests it has seen, so that
# no request slips past a pump that is about to stop. Keyed by the loop itself, not its id: a
# closed loop's id may be reused by the next one.
_PumpKey = tuple[asyncio.AbstractEventLoop, int, int]
_pumps: dict[_PumpKey, asyncio.Task[None]] = {}
_wanted: dict[_PumpKey, int] = {}


async def tally_request(
    meeting_id: int, poll_id: int, *, defer_while: Callable[[], bool] = _never
) -> None:
    """Mark the poll's tally stale and make sure this process will see it sent.

    ``defer_while`` tells the pump that acknowledgements are still owed in this process; the
    send waits for them, at most ``TALLY_DEFER_MAX`` seconds.
    """
    dirty, _lock = _keys(poll_id)
    try:
        await _cache("set", dirty, 1, timeout=60)
    except Exception:
        logger.exception("tally mark for poll %s failed", poll_id)
    loop = asyncio.get_running_loop()
    for stale in [k for k in _pumps if k[0].is_closed()]:
        _pumps.pop(stale, None)
        _wanted.pop(stale, None)
    key = (loop, meeting_id, poll_id)
    _wanted[key] = _wanted.get(key, 0) + 1
    task = _pumps.get(key)
    if task is None or task.done():
        _pumps[key] = loop.create_task(_pump(key, meeting_id, poll_id, defer_while))


def tally_pumps() -> list[asyncio.Task[None]]:
    """The tally pumps of the running loop that have not finished (to wait for them)."""
    loop = asyncio.get_running_loop()
    return [task for key, task in _pumps.items() if key[0] is loop and not task.done()]


async def _pump(
    key: _PumpKey, meeting_id: int, poll_id: int, defer_while: Callable[[], bool]
) -> None:
    dirty, lock = _keys(poll_id)
    window = tally_interval()
    failures = 0
    try:
        while failures < PUMP_RETRIES:
            seen = _wanted.get(key, 0)
            try:
                if not await _cache("get", dirty):
                    if _wanted.get(key, 0) == seen:
                        break  # nothing asked since we looked; a later request starts a new pump
                    continue
                await _pump_once(meeting_id, poll_id, dirty, lock, window, defer_while)
                failures = 0
            except Exception:
                # Redis hiccup or a database error: retry a few times; clients that miss a tally
                # still get the next one, or a fresh state when they reconnect.
                failures += 1
                logger.exception("tally broadcast for poll %s failed", poll_id)
                await sleep(window)
    finally:
        if _pumps.get(key) is asyncio.current_task():
            del _pumps[key]
            _wanted.pop(key, None)


async def _pump_once(
    meeting_id: int,
    poll_id: int,
    dirty: str,
    lock: str,
    window: float,
    defer_while: Callable[[], bool],
) -> None:
    token = uuid.uuid4().hex
    if not await _cache("add", lock, token, timeout=max(5, int(window * 20 + TALLY_DEFER_MAX))):
        await sleep(window / 2)  # another process is sending; it will see our mark
        return
    try:
        # Let the burst gather; the lock spaces tallies at least a window apart and the next
        # one waits until this one has been handed to the layer.
        await sleep(window)
        deadline = monotonic() + TALLY_DEFER_MAX
        while monotonic() < deadline and (defer_while() or await _owed_elsewhere(poll_id)):
            await sleep(0.02)
        await _cache("delete", dirty)
        frames = await database_sync_to_async(_build_tally)(meeting_id, poll_id)
        if frames is not None:
            await send_frames(meeting_id, frames[0], frames[1])
    finally:
        if await _cache("get", lock) == token:
            await _cache("delete", lock)


def tally_request_sync(meeting_id: int, poll_id: int) -> None:
    """The same from sync code (plain HTTP forms): bounded, at most a few windows of waiting."""
    dirty, lock = _keys(poll_id)
    window = tally_interval()
    try:
        cache.set(dirty, 1, timeout=60)
        for _ in range(10):
            if not cache.get(dirty):
                return  # a running pump elsewhere consumed the mark after our commit
            token = uuid.uuid4().hex
            if cache.add(lock, token, timeout=max(5, int(window * 20))):
                try:
                    cache.delete(dirty)
                    frames = _build_tally(meeting_id, poll_id)
                    if frames is not None:
                        send_frames_sync(meeting_id, frames[0], frames[1])
                finally:
                    if cache.get(lock) == token:
                        cache.delete(lock)
                return
            time.sleep(window / 2)
    except Exception:
        logger.exception("tally broadcast for poll %s failed", poll_id)


def tally_request_on_commit(meeting_id: int, poll_id: int) -> None:
    """Ask for a coalesced tally broadcast after the current commit (from sync code)."""
    transaction.on_commit(lambda: tally_request_sync(meeting_id, poll_id))
