"""Whole-page cache for the public pages, never older than the data behind them.

What a page shows comes from the database, and every change to the database is a write
statement. A database execute wrapper (installed on every connection) notices each ``INSERT``,
``UPDATE`` or ``DELETE`` on a table a page may read, and moves one site-wide **data version** on
(``cache.incr``): after the transaction commits, so no page rendered from the old data while the
transaction was open stays reachable (a write outside a transaction is committed at once, and
moves it at once). Until the commit only the writing thread can see the write, so it alone must
not be served an older page: its next page look-up moves the version on first. A transaction
that looks no page up in between, such as a batch of live ballots, costs one increment, after
its commit and outside its locks. Cached pages are keyed on that version, so the first request
after a write renders afresh. The writer's own response is sent after its commit, so every
request that starts after a write has returned sees it. Writes through any path count: services,
the Wagtail admin, management commands, ``QuerySet.update``, ``bulk_create``, the task worker,
another process.

A cached page is also keyed on the minute (what is computed from the clock: overdue, upcoming
meetings, posting periods, is at most a minute late), the host, the language, the large-type
cookie, the full path with its query, and the session cookie (a signed-in page is only ever
served to the session that rendered it; anonymous visitors without a session share one copy).
Only ``GET`` requests for the pages in :data:`CACHEABLE` are cached, only complete ``200``
HTML answers that set no cookie, store no session change and carry no flash message. The CSRF
token in a cached page is a placeholder, replaced by the current visitor's own token on every
answer.

On when the cache is shared between processes (``REDIS_URL`` set), off otherwise: a process-local
cache cannot see another process's writes (``SIFANG_PAGE_CACHE``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from cms.context_processors import ELDER_COOKIE

# URL names whose GET answer is a pure function of the data, the clock, the visitor's session
# and the request's path: public pages and a signed-in person's own pages. Forms that write,
# downloads and the live pages are not here.
CACHEABLE = frozenset(
    {
        "wagtail_serve",
        "community-home",
        "proposal-list",
        "proposal-detail",
        "meeting-list",
        "meeting-detail",
        "poll-list",
        "poll-detail",
        "notice-list",
        "resolution-list",
        "resolution-detail",
        "resolution-metrics",
        "my-matters",
        "inbox",
        # A responsible unit's queue: its own staff's, keyed on their session like /mine/.
        "dispatch-queue",
    }
)

logger = logging.getLogger(__name__)

VERSION_KEY = "sifang:pages:version"
# Set in the WSGI environ by config/warmup.py (no client can send it): not served from the cache.
WARMUP_ENVIRON_KEY = "sifang.warmup"
HEADER = "X-Sifang-Page-Cache"

# Tables no page reads: sessions, sign-in lockouts and the task queue change on their own
# schedule and must not empty the cache.
_IGNORED_TABLES = ("django_session", "axes_", "django_tasks")
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"\[]?(\w+)', re.IGNORECASE)
_TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{32,64}(")')
_PLACEHOLDER = b"\x00sifang-csrf-token\x00"


# Whether this thread wrote inside a transaction since it last moved the version on: its own
# next page look-up must not find a page older than that write (nobody else can see it before
# the commit, which moves the version on for everyone).
_unseen_write = threading.local()


def enabled() -> bool:
    return bool(getattr(settings, "SIFANG_PAGE_CACHE", False))


# --- the data version ---------------------------------------------------------------------


def data_version() -> int:
    """The current data version (a fresh one after the cache was emptied), moved on first if this
    thread wrote since it last did."""
    if getattr(_unseen_write, "value", False):
        data_changed()
    version = cache.get(VERSION_KEY)
    if version is None:
        # Start from the clock so a version never repeats one from before the cache was emptied.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def data_changed() -> None:
    """Move the data version on: every page cached so far is out of date."""
    _unseen_write.value = False
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (or the cache was emptied): any new one is fresh
            cache.add(VERSION_KEY, time.time_ns(), timeout=None)
    except Exception:
        # Never fail a write (a ballot) because the cache is unreachable. Pages cached before
        # the outage can then lag until their minute is over (they are keyed on it).
        logger.exception("page cache: could not move the data version on")


def _is_page_write(sql: str) -> bool:
    match = _WRITE.match(sql)
    return match is not None and not match.group(1).lower().startswith(_IGNORED_TABLES)


def _after_commit() -> None:
    data_changed()


def watch_writes(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Execute wrapper: a write moves the data version on once it is committed.

    Outside a transaction that is now. Inside one, the version moves on once after the commit
    (a batch of ballots costs one increment, not one per ballot, and none while it holds the
    poll's lock); meanwhile this thread's next page look-up moves it first (``data_version``),
    so the writer itself never gets a page older than its write."""
    result = execute(sql, params, many, context)
    if enabled() and isinstance(sql, str) and _is_page_write(sql):
        connection: BaseDatabaseWrapper = context["connection"]
        if not connection.in_atomic_block:
            data_changed()
            return result
        _unseen_write.value = True
        if not any(entry[1] is _after_commit for entry in connection.run_on_commit):
            transaction.on_commit(_after_commit, using=connection.alias, robust=True)
    return result


def install_write_watch(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """``connection_created`` receiver: watch every connection's writes (once per wrapper)."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


# --- the middleware -----------------------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=12).hexdigest()


def cached_value(key: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept while the data version and the minute last (as the pages are).

    For what a page computes that is costly and a pure function of the data, the clock to the
    minute and ``key``, on pages that cannot be cached whole (the Wagtail admin's are
    ``never_cache``). Without the page cache (``SIFANG_PAGE_CACHE`` off) it computes every time.
    """
    if not enabled():
        return compute()
    try:
        minute = int(timezone.now().timestamp() // 60)
        full_key = f"sifang:value:{data_version()}:{minute}:{_digest(key)}"
        found = cache.get(full_key)
    except Exception:  # an unreachable cache: compute, keep nothing
        logger.exception("page cache: value lookup failed")
        return compute()
    if found is not None:
        return found
    value = compute()
    try:
        cache.set(full_key, value, timeout=120)
    except Exception:
        logger.exception("page cache: could not store a value")
    return value


def page_key(request: HttpRequest, version: int) -> str:
    minute = int(timezone.now().timestamp() // 60)
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    parts = [
        request.scheme or "",
        request.get_host(),
        translation.get_language() or "",
        request.COOKIES.get(ELDER_COOKIE, ""),
        session,
        request.get_full_path(),
    ]
    return f"sifang:page:{version}:{minute}:{_digest(chr(0).join(parts))}"


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


class PageCacheMiddleware:
    """Serve :data:`CACHEABLE` pages from the cache while the data version and minute last.

    Sits after the session, CSRF, authentication and message middleware (it reads all four).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        key = getattr(request, "_sifang_page_key", None)
        if key is not None and self._storable(request, response):
            assert isinstance(response, HttpResponse)
            body = _TOKEN.sub(rb"\1" + _PLACEHOLDER + rb"\2", response.content)
            try:
                cache.set(key, (response["Content-Type"], body), timeout=120)
            except Exception:  # the page is rendered; not keeping it is no error
                logger.exception("page cache: could not store a page")
            response[HEADER] = "miss"
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        if (
            not enabled()
            or request.method != "GET"
            or WARMUP_ENVIRON_KEY in request.META
            or match is None
            or match.url_name not in CACHEABLE
            or _has_messages(request)
        ):
            return None
        try:
            key = page_key(request, data_version())
            cached = cache.get(key)
        except Exception:  # an unreachable cache: render the page, store nothing
            logger.exception("page cache: lookup failed")
            return None
        if cached is None:
            request._sifang_page_key = key  # type: ignore[attr-defined]
            return None
        content_type, body = cached
        if _PLACEHOLDER in body:
            body = body.replace(_PLACEHOLDER, get_token(request).encode())
        response = HttpResponse(body, content_type=content_type)
        response[HEADER] = "hit"
        return response

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
        session = getattr(request, "session", None)
        return (
            isinstance(response, HttpResponse)
            and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and not response.cookies
            and "no-store" not in response.get("Cache-Control", "")
            and not (session is not None and session.modified)
            and not _has_messages(request)
        )
