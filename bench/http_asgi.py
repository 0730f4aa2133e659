"""The ASGI app of ``bench/http.py``: Sifang exactly as ``config.asgi`` serves it, plus the floor.

``/bench/bare/`` goes to the bare Django page (``bench/http_bare.py``), everything else to
Sifang. Run: ``DJANGO_SETTINGS_MODULE=bench.http_settings daphne -p 8360
bench.http_asgi:application``.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.http_settings")

from bench.http_bare import BareHandler
from config.asgi import application as sifang

bare = BareHandler()


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "http" and scope["path"].startswith("/bench/bare/"):
        return await bare(scope, receive, send)
    return await sifang(scope, receive, send)
