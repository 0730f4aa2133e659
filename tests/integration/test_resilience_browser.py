"""The live page in Chromium through the crash window (issue 16, point 5): a participant taps an
option, the worker commits the ballot and dies before acknowledging it; the page shows
"正在重新连接…", reconnects to the restarted worker, re-sends the unanswered ballot with its
ref and shows the receipt the database holds. Screenshots in ``test-artifacts/resil/``.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from .conftest import is_type, ws_connect

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

CHROMIUM = os.environ.get("SIFANG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "resil"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


async def test_the_page_gets_its_receipt_after_the_worker_died_before_acknowledging(
    live_database, workers
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    db = live_database(2)
    seed = db.seed
    meeting, poll = seed["meeting"], seed["poll"]
    [(slug,)] = db.query(
        "select c.slug from meetings_meeting m join deliberation_community c"
        " on c.id = m.community_id where m.id = %s",
        [meeting],
    )
    # DEBUG=1: whitenoise serves live.js from the app directories (no collectstatic here).
    worker = workers(db, env={"DEBUG": "1", "SIFANG_FAULT_KILL_BEFORE_ACK_REF": "*"})
    facilitator = await ws_connect(worker, meeting, seed["facilitator_session"])
    await facilitator.until(is_type("state"))
    await facilitator.send({"type": "poll.open", "poll": poll, "ref": "open"})
    await facilitator.until(is_type("poll.opened"))
    await facilitator.close()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{worker.port}"
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = await browser.new_context(**PHONE, locale="zh-CN")
            await context.add_cookies(
                [{"name": "sessionid", "value": seed["sessions"][0], "url": base}]
            )
            page = await context.new_page()
            await page.goto(f"{base}/{slug}/meetings/{meeting}/live/")
            await page.wait_for_selector("#live.ws-on", timeout=30_000)
            option = page.locator("form.ballot button.option").first
            await option.wait_for(timeout=30_000)
            await page.screenshot(path=str(ARTIFACTS / "1-ballot.png"), full_page=True)
            await option.click()

            # The worker commits the ballot and dies before its acknowledgement.
            assert worker.proc is not None
            deadline = time.monotonic() + 60
            while worker.proc.poll() is None:
                assert time.monotonic() < deadline, "the fault hook never killed the worker"
                await asyncio.sleep(0.1)
            [receipt] = db.receipts(poll)
            banner = page.locator("#live-banner")
            await banner.wait_for(state="visible", timeout=15_000)
            assert "正在重新连接" in await banner.inner_text()
            await page.screenshot(path=str(ARTIFACTS / "2-reconnecting.png"), full_page=True)
            assert receipt not in await page.inner_text("body")

            worker.env.pop("SIFANG_FAULT_KILL_BEFORE_ACK_REF")
            worker.start()
            shown = page.locator('[data-region="receipt"]').first
            await page.wait_for_function(
                "r => document.querySelector('[data-region=receipt]').textContent.includes(r)",
                arg=receipt,
                timeout=60_000,
            )
            assert await banner.is_hidden()
            await page.screenshot(path=str(ARTIFACTS / "3-receipt.png"), full_page=True)
            assert receipt in await shown.inner_text()
            assert db.receipts(poll) == [receipt]
            assert not await page.locator("#live-notice:visible").count()
        finally:
            await browser.close()
