"""The benchmark's ASGI app: Sifang exactly as ``config.asgi`` serves it, plus the floor.

``/ws/meetings/<id>/`` is Sifang's consumer, ``/ws/floor/<poll id>/`` the floor's; both behind
the same origin check and session middleware, in the same process, on the same database and
channel layer. Run: ``daphne -p 8370 bench.asgi:application``.
"""

import os

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

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        *websocket_urlpatterns,
                        path("ws/floor/<int:poll_id>/", FloorConsumer.as_asgi()),
                    ]
                )
            )
        ),
    }
)
