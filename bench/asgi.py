"""The benchmark's ASGI app: Sifang exactly as ``config.asgi`` serves it, plus the floor.

``/ws/meetings/<id>/`` is Sifang's consumer, ``/ws/floor/<poll id>/`` the floor's; both behind
the same origin check and session middleware, in the same process, on the same database and
channel layer. Run: ``daphne -p 8370 bench.asgi:application``.

For the reconnect storm (``bench/live_vote.py --reconnect-storm close``) ``SIGUSR2`` makes the
process close every open websocket at once with 4012 (autobahn allows only 1000 and 3000-4999;
1012 "service restart" is refused), as a Redis restart
does to every socket of every worker, while the process itself stays up.
"""

import asyncio
import os
import signal
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402

from bench.floor.consumer import FloorConsumer  # noqa: E402
from bench.floor.table import ensure_table  # noqa: E402
from config import daphne_backpressure  # noqa: E402
from meetings.routing import websocket_urlpatterns  # noqa: E402

# Bound what daphne keeps for a websocket whose peer stops reading (see the module).
daphne_backpressure.install()

ensure_table()
connection.close()  # the worker threads open their own

_sockets: dict[int, Any] = {}


class CloseAllOnSignal:
    """Track every websocket's ``send`` so that ``SIGUSR2`` can close them all."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        key = id(scope)
        _sockets[key] = send
        try:
            await self.app(scope, receive, send)
        finally:
            _sockets.pop(key, None)


_closing: set[asyncio.Task[None]] = set()


def _close_all() -> None:
    loop = asyncio.get_event_loop()
    for send in list(_sockets.values()):
        task = loop.create_task(send({"type": "websocket.close", "code": 4012}))
        _closing.add(task)
        task.add_done_callback(_closing.discard)


signal.signal(signal.SIGUSR2, lambda *_: asyncio.get_event_loop().call_soon_threadsafe(_close_all))

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": CloseAllOnSignal(
            AllowedHostsOriginValidator(
                AuthMiddlewareStack(
                    URLRouter(
                        [
                            *websocket_urlpatterns,
                            path("ws/floor/<int:poll_id>/", FloorConsumer.as_asgi()),
                        ]
                    )
                )
            )
        ),
    }
)
