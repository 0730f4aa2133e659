"""Group commit of live ballots: a per-process (per event loop) queue committed in small batches.

A burst of N ballots costs about N / ``BATCH_MAX`` transactions instead of N: while one batch
is in the database the next one gathers, and each ballot is answered only after its batch
committed (``services.meeting_ballots_cast`` keeps the chain order inside a batch).

After each batch the polls that got ballots ask ``tallies`` for a tally, telling it to wait while
``busy()``: acknowledgements still owed in this process go out first, since a tally sent to a
thousand sockets holds the event loop for about a second (bounded, so a long stream still gets
its tallies).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async

from meetings import services, tallies

logger = logging.getLogger(__name__)

BATCH_MAX = 64


class BallotBatcher:
    """A per-process (per event loop) queue of ballots committed in small batches."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[services.MeetingCast, asyncio.Future[Any]]] = (
            asyncio.Queue()
        )
        self.task: asyncio.Task[None] | None = None
        self.pending = 0  # submitted, not yet answered
        # The owed-receipt marks in flight (a reference keeps a running task from being
        # collected), written one after the other so the last one written is the newest.
        self.marks: set[asyncio.Task[None]] = set()
        self.last_mark: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return self.pending > 0

    async def submit(self, cast: services.MeetingCast) -> services.MeetingCastOutcome:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((cast, future))
        self.pending += 1
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())
        try:
            return await future
        finally:
            self.pending -= 1

    def _mark(self, mark: Callable[[set[int]], Awaitable[None]], polls: set[int]) -> None:
        """Mark the polls' receipts as owed (or settled) for other processes' tally pumps, in
        order but without waiting: the mark is a hint for another worker (a cache write on
        another thread), and waiting for it held up this process's next batch and its
        acknowledgements."""
        previous = self.last_mark

        async def in_order() -> None:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            await mark(polls)

        task = asyncio.ensure_future(in_order())
        self.last_mark = task
        self.marks.add(task)
        task.add_done_callback(self.marks.discard)

    async def _run(self) -> None:
        # While one batch is in the database the next one gathers; the worker stops when idle.
        seen: set[int] = set()
        while not self.queue.empty():
            batch = [self.queue.get_nowait()]
            while len(batch) < BATCH_MAX and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            casts = [cast for cast, _ in batch]
            polls = {cast.poll_id for cast in casts}
            seen |= polls
            self._mark(tallies.ballots_owed, polls)
            try:
                outcomes = await database_sync_to_async(services.meeting_ballots_cast)(casts)
            except Exception:
                logger.exception("ballot batch of %s failed", len(batch))
                outcomes = [services.MeetingCastOutcome(code="server_error")] * len(batch)
            for (_cast, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
            self._mark(tallies.ballots_owed, polls)  # their receipts go out now
            for meeting_id, poll_id in {
                (c.meeting_id, c.poll_id) for c, o in zip(casts, outcomes, strict=True) if o.receipt
            }:
                await tallies.tally_request(meeting_id, poll_id, defer_while=busy)
            await asyncio.sleep(0)
        # The queue ran dry: other workers' tally pumps need not wait for this one any more.
        self._mark(tallies.ballots_settled, seen)


# Keyed by the loop itself, not its id: a closed loop's id may be reused by the next one.
_batchers: dict[asyncio.AbstractEventLoop, BallotBatcher] = {}


def batcher() -> BallotBatcher:
    """The batcher of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        found = BallotBatcher()
        _batchers.clear()  # one running loop per process (a test's loop replaces the last one)
        _batchers[loop] = found
    return found


def busy() -> bool:
    """Ballots of this process's running loop are waiting for their commit."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    found = _batchers.get(loop)
    return found is not None and found.busy
