"""``config.channel_layer.ResilientRedisChannelLayer`` against the suite's Redis (issue 16,
point 4): after memberships were lost in Redis, ``restore`` re-adds them and tells every local
channel; a receive that fails because Redis is unreachable waits for the restore instead of
raising (which would end the consumer and close its socket). The restart itself, with real
daphne workers and a Redis of their own, is ``tests/integration/test_resilience.py``."""

from __future__ import annotations

import asyncio
import os
from unittest import mock

import pytest
import pytest_asyncio
from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError

from config.channel_layer import RESUMED, ResilientRedisChannelLayer

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]


@pytest_asyncio.fixture
async def layer():
    layer = ResilientRedisChannelLayer(
        # As config/settings/base.py has it: a read timeout above the 5 s blocking pop.
        hosts=[{"address": os.environ["REDIS_URL"], "socket_timeout": 30}],
        prefix=f"resil-test-{os.getpid()}",
        watch_interval=0.05,
    )
    yield layer
    await layer.flush()
    await layer.close_pools()


async def test_restore_re_adds_lost_memberships_and_tells_each_channel(layer) -> None:
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", a)
    await layer.group_add("room", b)
    await layer.group_add("other", b)
    await layer.group_discard("other", b)
    # Redis lost the groups (a restart without persistence, FLUSHDB).
    connection = layer.connection(0)
    await connection.delete(layer._group_key("room"))

    await layer.restore()
    assert await asyncio.wait_for(layer.receive(a), 5) == {"type": RESUMED}
    assert await asyncio.wait_for(layer.receive(b), 5) == {"type": RESUMED}
    await layer.group_send("room", {"type": "meeting.frame", "text": "x"})
    assert (await asyncio.wait_for(layer.receive(a), 5))["text"] == "x"
    assert (await asyncio.wait_for(layer.receive(b), 5))["text"] == "x"
    assert layer.memberships == {a: {"room"}, b: {"room"}}


async def test_a_receive_that_loses_redis_waits_for_the_restore(layer) -> None:
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    real = RedisChannelLayer.receive
    calls = 0

    async def flaky(self, name):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RedisConnectionError("Connection closed by server.")
        return await real(self, name)

    with mock.patch.object(RedisChannelLayer, "receive", flaky):
        # The watchdog sees ``down`` and restores within a few intervals; no exception.
        message = await asyncio.wait_for(layer.receive(channel), 10)
    assert message == {"type": RESUMED}
    assert layer.restores >= 1 and not layer.down


async def test_the_watchdog_notices_a_flushed_redis(layer) -> None:
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    receiving = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.3)  # the watchdog has set its marker
    connection = layer.connection(0)
    await connection.delete(layer._marker(), layer._group_key("room"))
    assert await asyncio.wait_for(receiving, 10) == {"type": RESUMED}
    await layer.group_send("room", {"type": "meeting.frame", "text": "y"})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["text"] == "y"
