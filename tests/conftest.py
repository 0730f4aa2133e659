"""Shared fixtures. Backends come from the environment (DATABASE_URL, REDIS_URL)."""

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:  # type: ignore[no-untyped-def]
    """Before the test databases are created: close any PostgreSQL connection pool opened at
    import (``config.asgi`` warms up with a request). Django keeps a pool per alias with the
    connection parameters it was opened with and does not reopen it for the test database, so
    the tests would otherwise run against the database ``DATABASE_URL`` names, or, if that one
    does not exist, wait for a connection until the pool times out."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None and connection.settings_dict.get("OPTIONS", {}).get("pool"):
            close_pool()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Keep uploads of each test in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English (LocaleMiddleware) leaves English active in the thread; each test
    starts in the site's language, as a fresh worker would."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _live_state_cache():
    """Rolled-back tests reuse primary keys (and so a meeting's cache key) on SQLite."""
    from meetings.selectors import cache_clear

    cache_clear()
    yield
    cache_clear()


@pytest.fixture
def uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture
def uses_redis() -> bool:
    return bool(settings.REDIS_URL)


@pytest.fixture
def wagtail_site(db):  # type: ignore[no-untyped-def]
    """The Wagtail root, home page and default site, also after a transactional flush."""
    from cms.services import site_ensure_home

    return site_ensure_home()
