"""The Redis channel layer, made to ride out a Redis restart (issue 16, point 4).

With channels_redis alone, a Redis restart ends every live socket: the consumer's blocking
receive raises ``ConnectionError``, the consumer dies and daphne closes its socket with 1011, so
every participant reconnects at once. And a Redis without persistence comes back empty: the
group memberships of the sockets that did stay open are gone, so they would hear nothing more.

:class:`ResilientRedisChannelLayer` keeps the sockets and the meeting:

- A receive that fails because Redis is unreachable does not raise: the consumer waits until
  the layer is back (its socket stays open, ballots and their acknowledgements go on, since they
  need the database only).
- The layer remembers, in the process, which groups each of its channels joined. A watchdog
  (one Redis command a second per process) notices an outage, or a Redis that lost this
  process's marker key (a restart without persistence, a ``FLUSHDB``), and once Redis answers
  again re-adds every membership (``ZADD``, one per group) and sends a ``layer.resumed`` message
  to every channel of the process.
- What was broadcast during the outage is lost, so a consumer answers ``layer.resumed`` with a
  fresh ``state`` from the database (``meetings.consumers.MeetingConsumer.layer_resumed``): the
  page replaces its sections as on any ``state``, without a banner or an error.

Relies on channels_redis 4.x internals (``connection``, ``consistent_hash``, ``_group_key``,
``client_prefix``), pinned in requirements; ``tests/foundation/test_channel_layer.py`` and
``tests/integration/test_resilience.py`` exercise them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from typing import Any

from channels.exceptions import ChannelFull
from channels_redis.core import RedisChannelLayer  # type: ignore[import-untyped]
from redis import exceptions as redis_exceptions

logger = logging.getLogger(__name__)

RESUMED = "layer.resumed"  # the message type every local channel gets after an outage

# What an unreachable or restarting Redis raises (redis-py's ConnectionError and TimeoutError
# are not subclasses of the builtins; BusyLoadingError, "loading the dataset", is a
# ConnectionError).
REDIS_DOWN: tuple[type[BaseException], ...] = (
    redis_exceptions.ConnectionError,
    redis_exceptions.TimeoutError,
    ConnectionError,
    OSError,
)


class ResilientRedisChannelLayer(RedisChannelLayer):
    """``channels_redis.core.RedisChannelLayer`` that survives a Redis restart (see module).

    Extra ``CONFIG``: ``watch_interval`` (seconds between the watchdog's checks, default 1).
    """

    def __init__(self, *args: Any, watch_interval: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch_interval = watch_interval
        self.memberships: dict[str, set[str]] = defaultdict(set)  # local channel -> groups
        self.down = False  # a receive or the watchdog failed since the last restore
        self.restores = 0  # how many times memberships were restored (a generation)
        self._watchdogs: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self._restored: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    # --- memberships -------------------------------------------------------------------

    async def group_add(self, group: str, channel: str) -> None:
        local = "!" in channel
        if local:
            # First: a restore running while this adds must add it too.
            self.memberships[channel].add(group)
        try:
            await super().group_add(group, channel)
        except BaseException:
            if local:
                self._forget(group, channel)
            raise

    async def group_discard(self, group: str, channel: str) -> None:
        self._forget(group, channel)
        try:
            await super().group_discard(group, channel)
        except REDIS_DOWN:
            # Redis is away: the entry expires there (group_expiry), and a restore no longer
            # re-adds it. A closing socket must not fail over it.
            logger.info("group_discard(%s) while Redis is unreachable", group)

    def _forget(self, group: str, channel: str) -> None:
        groups = self.memberships.get(channel)
        if groups is not None:
            groups.discard(group)
            if not groups:
                del self.memberships[channel]

    # --- receiving -----------------------------------------------------------------------

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" not in channel:
            return await super().receive(channel)
        self._ensure_watchdog()
        while True:
            generation = self.restores
            try:
                return await super().receive(channel)
            except REDIS_DOWN as exc:
                if not self.down:
                    logger.warning("channel layer: Redis unreachable (%s); waiting for it", exc)
                self.down = True
                await self._wait_restored(generation)
                # The restore sent a layer.resumed message to this channel.

    async def _wait_restored(self, generation: int) -> None:
        loop = asyncio.get_running_loop()
        while self.restores == generation:
            event = self._restored.get(loop)
            if event is None or event.is_set():
                event = self._restored[loop] = asyncio.Event()
            await event.wait()

    # --- the watchdog ----------------------------------------------------------------------

    def _marker(self) -> str:
        return f"{self.prefix}:alive:{self.client_prefix}"

    def _ensure_watchdog(self) -> None:
        loop = asyncio.get_running_loop()
        task = self._watchdogs.get(loop)
        if task is None or task.done():
            for old in [k for k in self._watchdogs if k.is_closed()]:
                del self._watchdogs[old]
            self._watchdogs[loop] = loop.create_task(self._watch())

    async def _watch(self) -> None:
        first = True
        while True:
            try:
                lost = await self._marker_lost()
            except REDIS_DOWN as exc:
                if not self.down:
                    logger.warning("channel layer: Redis unreachable (%s)", exc)
                self.down = True
            except Exception:
                logger.exception("channel layer watchdog failed")
            else:
                if (lost and not first) or self.down:
                    try:
                        await self.restore()
                    except REDIS_DOWN:
                        self.down = True
                    except Exception:
                        logger.exception("channel layer: restoring memberships failed")
                first = False
            await asyncio.sleep(self.watch_interval)

    async def _marker_lost(self) -> bool:
        """Refresh this process's marker on every shard; whether one of them had lost it."""
        lost = False
        ttl = max(60, int(self.watch_interval * 60))
        for index in range(self.ring_size):
            previous = await self.connection(index).set(self._marker(), 1, ex=ttl, get=True)
            lost = lost or previous is None
        return lost

    async def restore(self) -> None:
        """Re-add every membership of this process's channels, then tell each channel."""
        by_group: dict[str, list[str]] = defaultdict(list)
        for channel, groups in list(self.memberships.items()):
            for group in groups:
                by_group[group].append(channel)
        # The pool's idle connections predate the restart: each would fail its next command
        # ("Connection closed by server"), losing a broadcast. Drop them; busy ones fail on their
        # own and are replaced.
        for index in range(self.ring_size):
            await self.connection(index).connection_pool.disconnect(inuse_connections=False)
        now = time.time()
        for group, channels in by_group.items():
            connection = self.connection(self.consistent_hash(group))
            key = self._group_key(group)
            await connection.zadd(key, dict.fromkeys(channels, now))
            await connection.expire(key, self.group_expiry)
        self.down = False
        self.restores += 1
        # Through Redis, not straight into the local queues: the coroutine holding the receive
        # lock is blocked in BZPOPMIN and sees its own queue only when Redis answers.
        channels = list(self.memberships)
        for start in range(0, len(channels), 200):
            await asyncio.gather(
                *(self._tell(channel) for channel in channels[start : start + 200])
            )
        event = self._restored.get(asyncio.get_running_loop())
        if event is not None:
            event.set()
        logger.warning(
            "channel layer: Redis is back; %d groups of %d channels restored",
            len(by_group),
            len(self.memberships),
        )

    async def _tell(self, channel: str) -> None:
        # A full channel has frames waiting, so it is not idle: the next restore tells it.
        with contextlib.suppress(ChannelFull):
            await self.send(channel, {"type": RESUMED})

    async def close_pools(self) -> None:
        for task in self._watchdogs.values():
            task.cancel()
        self._watchdogs.clear()
        await super().close_pools()
