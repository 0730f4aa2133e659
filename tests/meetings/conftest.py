"""Fixtures for the live-meeting tests: websocket clients that always disconnect."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from meetings import tallies


@pytest.fixture(autouse=True)
def _fast_tally(settings):
    settings.SIFANG_TALLY_INTERVAL = 0.05


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class Live:
    """A websocket client through ``config.asgi.application`` (origin check, sessions)."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.c = communicator
        self.seen: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any] | str) -> None:
        if isinstance(frame, str):
            await self.c.send_to(text_data=frame)
        else:
            await self.c.send_json_to(frame)

    # Timeouts here only stop a broken test from hanging; nothing asserts how long a frame took.
    async def recv(self, timeout: float = 30) -> dict[str, Any]:
        frame = await self.c.receive_json_from(timeout=timeout)
        self.seen.append(frame)
        return frame

    async def until(
        self,
        kind: str,
        timeout: float = 30,
        where: Callable[[dict[str, Any]], bool] | None = None,
        **match: Any,
    ) -> dict[str, Any]:
        """Skip frames until one of ``kind`` (matching fields, and ``where``) arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no {kind} frame; saw {[f['type'] for f in self.seen]}")
            frame = await self.recv(timeout=left)
            matches = frame["type"] == kind and all(frame.get(k) == v for k, v in match.items())
            if matches and (where is None or where(frame)):
                return frame


@pytest_asyncio.fixture
async def live() -> AsyncIterator[Callable[..., Any]]:
    opened: list[WebsocketCommunicator] = []

    async def connect(
        meeting_id: int,
        user: Any = None,
        *,
        origin: str = "http://testserver",
        query: str = "",
        expect: bool = True,
        session_key: str | None = None,
    ) -> Live | tuple[bool, Any]:
        headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
        if user is not None or session_key:
            key = session_key or await sync_to_async(session_cookie)(user)
            headers.append((b"cookie", f"sessionid={key}".encode()))
        path = f"/ws/meetings/{meeting_id}/" + (f"?{query}" if query else "")
        communicator = WebsocketCommunicator(application, path, headers=headers)
        opened.append(communicator)
        connected, code = await communicator.connect(timeout=30)
        if not expect:
            return connected, code
        assert connected, code
        return Live(communicator)

    yield connect
    for communicator in opened:
        with contextlib.suppress(Exception):  # already closed by the server
            await communicator.disconnect(timeout=2)
    # Let the tally broadcasts the test set off finish in its own loop: a pump cut off when the
    # loop closes would leave its coalescing lock in the cache. The timeout only stops a broken
    # pump from hanging the suite (cancelling it still releases its lock).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*tallies.tally_pumps(), return_exceptions=True), timeout=60
        )
