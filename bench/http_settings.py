"""Settings of ``bench/http.py``: Sifang's, with the bench URL conf (one extra bench-only page)."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
