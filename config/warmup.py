"""Warm a freshly started web process before it accepts requests, so the first visitor does not
pay for what every later one shares: each language's translations (built and flattened,
config/i18n.py), the cache's client, the URL resolver with every view module it imports, the
compiled templates (Django keeps them in its cached loader), and one request to the site home in
each language through the whole middleware stack (the modules views import late, the models'
metadata caches, the database connection, Wagtail's site lookup). The warm-up request bypasses
the page cache (:data:`cms.page_cache.WARMUP_ENVIRON_KEY`), so the first real request still
renders its page.

Called by ``config/asgi.py`` once Django is set up; daphne listens only after it returns.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation
from django.utils.translation import trans_real

from cms.page_cache import WARMUP_ENVIRON_KEY

logger = logging.getLogger(__name__)

# Apps whose templates a public page renders.
TEMPLATE_APPS = ("cms",)


def _template_names(app_label: str) -> list[str]:
    folder = Path(apps.get_app_config(app_label).path) / "templates"
    return sorted(
        str(path.relative_to(folder)) for path in folder.rglob("*.html") if path.is_file()
    )


def warm_up() -> float:
    """Build what the first request would otherwise build; return the seconds it took."""
    start = time.perf_counter()
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 (imports every url module and its views)
    resolver.reverse_dict  # noqa: B018 (populates the reverse lookup tables)
    for app_label in TEMPLATE_APPS:
        for name in _template_names(app_label):
            try:
                get_template(name)
            except (TemplateDoesNotExist, TemplateSyntaxError):  # pragma: no cover - reported
                logger.warning("warm-up could not load template %s", name)
    try:
        cache.get("sifang:warm-up")  # imports the client library (redis: 0.3 s) and connects
    except Exception:  # a cache that is down must not keep the server from starting
        logger.warning("warm-up could not reach the cache", exc_info=True)
    try:
        _warm_requests()
    finally:
        # The requests ran LocaleMiddleware in this thread: leave no language active, or the
        # last one warmed (English) would become the default of everything this process does
        # outside a request, such as the live meetings' state frames.
        translation.deactivate()
    return time.perf_counter() - start


def _warm_requests() -> None:
    from django.test import Client  # the test client is only needed here

    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    environ: dict[str, Any] = {"HTTP_HOST": host, WARMUP_ENVIRON_KEY: "1"}
    client = Client()
    for code, _name in settings.LANGUAGES:
        try:
            response = client.get(
                "/",
                secure=settings.SITE_URL.startswith("https"),
                headers={"accept-language": code},
                **environ,
            )
        except Exception:  # a warm-up must never keep the server from starting
            logger.warning("warm-up request failed", exc_info=True)
            return
        if response.status_code != 200:
            logger.info("warm-up request answered %s", response.status_code)
