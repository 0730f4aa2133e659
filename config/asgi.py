"""ASGI entry point: Django for HTTP, the live-meeting consumer for websockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config import daphne_backpressure  # noqa: E402
from config.warmup import warm_up  # noqa: E402
from meetings.routing import websocket_urlpatterns  # noqa: E402

# Before daphne listens: the first request must not pay for translations, URLs and templates.
warm_up()

# Bound what daphne keeps for a websocket whose peer stops reading (see the module).
daphne_backpressure.install()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
