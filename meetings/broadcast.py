"""Notifications to live clients. The database holds the state; this only tells clients.

- ``broadcast_on_commit(meeting_id, event)``: send a frame to everyone in the meeting once the
  surrounding transaction commits (never before: a client must not see a rolled-back change).
  The frame is serialised once, here, and relayed as text by every consumer.
- ``tally_request(meeting_id, poll_id)``: ask for a tally broadcast. Requests are coalesced per
  poll across processes with two cache keys: a *dirty* mark and a short *lock*. Whoever holds the
  lock waits a short window, clears the mark, reads the tally from the database, sends it and
  releases; the next tally waits for the previous send to finish. A process that cannot take the
  lock keeps its mark and retries until someone has consumed it. So at most about
  ``1 / SIFANG_TALLY_INTERVAL`` tallies a second go out per poll, however many processes and
  ballots, and the last ballot is always in some tally. During a burst the lock holder first
  lets this process's owed acknowledgements go out (``batching.busy``, at most
  ``TALLY_DEFER_MAX`` seconds): relaying a tally to a thousand sockets holds the event loop for
  about a second, which the voters would otherwise wait for their receipts.

Failures of the channel layer are logged and swallowed: nothing is lost, since every client gets
a fresh ``state`` from the database when it reconnects.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

FRAME = "meeting.frame"  # the consumer method ``meeting_frame`` relays ``text`` as it is


def group_public(meeting_id: int) -> str:
    return f"meeting-{meeting_id}"


def group_staff(meeting_id: int) -> str:
    return f"meeting-{meeting_id}-staff"


def group_session(session_key: str) -> str:
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]
    return f"session-{digest}"


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), default=str)


def tally_interval() -> float:
    return float(getattr(settings, "SIFANG_TALLY_INTERVAL", 0.3))


async def send_frames(meeting_id: int, text: str, staff_text: str | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group_public(meeting_id), {"type": FRAME, "text": text})
        await layer.group_send(group_staff(meeting_id), {"type": FRAME, "text": staff_text or text})
    except Exception:  # the layer is down: clients resync from the database on reconnect
        logger.exception("broadcast to meeting %s failed", meeting_id)


def send_frames_sync(meeting_id: int, text: str, staff_text: str | None = None) -> None:
    try:
        async_to_sync(send_frames)(meeting_id, text, staff_text)
    except Exception:
        logger.exception("broadcast to meeting %s failed", meeting_id)


def broadcast_on_commit(
    meeting_id: int, event: dict[str, Any], *, staff_event: dict[str, Any] | None = None
) -> None:
    """Send ``event`` (a server frame with ``type`` and ``seq``) after the current commit.

    ``staff_event``, when given, is what facilitators get instead (e.g. the counts of a poll
    that does not show a running tally to everyone).
    """
    text = encode(event)
    staff_text = encode(staff_event) if staff_event is not None else None
    transaction.on_commit(lambda: send_frames_sync(meeting_id, text, staff_text))


def tally_request_on_commit(meeting_id: int, poll_id: int) -> None:
    """Ask for a coalesced tally broadcast after the current commit (from sync code)."""
    transaction.on_commit(lambda: tally_request_sync(meeting_id, poll_id))


def _keys(poll_id: int) -> tuple[str, str]:
    return f"sifang:tally:dirty:{poll_id}", f"sifang:tally:lock:{poll_id}"


def _build_tally(meeting_id: int, poll_id: int) -> tuple[str, str] | None:
    from meetings.models import Meeting
    from meetings.selectors import tally_sections
    from votes.models import Poll

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


TALLY_DEFER_MAX = 2.0

_pumps: dict[tuple[int, int, int], asyncio.Task[None]] = {}
_wanted: dict[tuple[int, int, int], int] = {}  # local requests per poll: none slips past a pump
PUMP_RETRIES = 5


async def tally_request(meeting_id: int, poll_id: int) -> None:
    """Mark the poll's tally stale and make sure this process will see it sent."""
    dirty, _lock = _keys(poll_id)
    try:
        await _cache("set", dirty, 1, timeout=60)
    except Exception:
        logger.exception("tally mark for poll %s failed", poll_id)
    loop = asyncio.get_running_loop()
    key = (id(loop), meeting_id, poll_id)
    _wanted[key] = _wanted.get(key, 0) + 1
    task = _pumps.get(key)
    if task is None or task.done():
        _pumps[key] = loop.create_task(_pump(key, meeting_id, poll_id))


async def _pump(key: tuple[int, int, int], meeting_id: int, poll_id: int) -> None:
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
                await _pump_once(meeting_id, poll_id, dirty, lock, window)
                failures = 0
            except Exception:
                # Redis hiccup or a database error: retry a few times; clients that miss a tally
                # still get the next one, or a fresh state when they reconnect.
                failures += 1
                logger.exception("tally broadcast for poll %s failed", poll_id)
                await asyncio.sleep(window)
    finally:
        if _pumps.get(key) is asyncio.current_task():
            del _pumps[key]
            _wanted.pop(key, None)


async def _pump_once(meeting_id: int, poll_id: int, dirty: str, lock: str, window: float) -> None:
    from meetings import batching

    token = uuid.uuid4().hex
    if not await _cache("add", lock, token, timeout=max(5, int(window * 20 + TALLY_DEFER_MAX))):
        await asyncio.sleep(window / 2)  # another process is sending; it will see our mark
        return
    try:
        # Let the burst gather; the lock spaces tallies at least a window apart and the next
        # one waits until this one has been handed to the layer.
        await asyncio.sleep(window)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TALLY_DEFER_MAX
        while batching.busy() and loop.time() < deadline:
            await asyncio.sleep(0.02)
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


def session_logout_sync(session_key: str) -> None:
    """Close every live socket of a signed-out session (any process)."""
    layer = get_channel_layer()
    if layer is None or not session_key:
        return
    try:
        async_to_sync(layer.group_send)(group_session(session_key), {"type": "session.logout"})
    except Exception:
        logger.exception("closing sockets of a signed-out session failed")
