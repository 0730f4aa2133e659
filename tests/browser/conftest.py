"""Playwright driving Debian's Chromium (never a downloaded browser).

Fixtures: ``browser`` (one per module), ``new_context`` (a factory of isolated browser contexts,
phone-sized by default), ``page`` (one phone-sized page). A failing test leaves a screenshot of
every open page in ``test-artifacts/``.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = os.environ.get("SIFANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call" and report.failed:
        item.stash.setdefault(_FAILED, True)
    return report


_FAILED = pytest.StashKey[bool]()


# Module scope: Playwright's sync API keeps an asyncio loop running while it is open, which
# would break the Channels/asyncio tests that run after the browser suite.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright runs an event loop in this thread; let the tests' own ORM calls run beside it.
    # Only while the browser is open, so the Channels tests keep Django's async-safety check.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(
    browser: Browser, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        context = browser.new_context(**{**PHONE, "locale": "zh-CN", **options})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    if request.node.stash.get(_FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        for c_index, context in enumerate(contexts):
            for p_index, page in enumerate(context.pages):
                name = f"{request.node.name}-{c_index}-{p_index}.png"
                try:
                    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
                except Exception:  # noqa: S112 - a screenshot must never mask the failure
                    continue
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


def server_database_url(tmp: Path, suffix: str) -> str:
    """A database for a daphne server the test starts itself: a SQLite file in ``tmp``, or, when
    the suite runs on PostgreSQL, a fresh ``<name>_<suffix>`` beside the suite's own (.ci/run
    drops every database named after its run)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / (suffix + '.sqlite3')}"
    import psycopg

    parts = urlparse(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()
