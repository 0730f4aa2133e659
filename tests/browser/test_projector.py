"""The projector on a 16:9 screen and the console's confirmations, walked in Chromium with the
demo's committee account against a live daphne (the ``server`` fixture of
``test_live_meeting``: its own database, seeded with ``seed_demo``).

At 1280×720 and 1920×1080 the projector is a page of its own (no site header or footer) and
shows, without scrolling, the current item, the tally bars and turnout, the speaker with the
timer, the attendance, and the check-in code with its QR code. On the console, ending a poll
asks first; cancelling leaves it open; a poll closed by mistake reopens with its ballots.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_live_meeting import (  # noqa: F401 - ``server`` is a fixture
    LiveServer,
    confirm,
    connected,
    server,
    sign_in,
)

SHOTS = Path(os.environ.get("SIFANG_SCREENSHOTS", "test-artifacts"))
SCREENS = [(1280, 720), (1920, 1080)]
# What the room must see without scrolling.
ABOVE_THE_FOLD = {
    "current item": "[data-region=current]",
    "tally bars": "[data-region=tally] .bars",
    "turnout": "[data-region=tally] .turnout",
    "speaker": "[data-region=speakers] .speaker-now",
    "timer": "[data-region=speakers] .timer",
    "attendance": "[data-region=attendance] .quorum",
    "check-in code": "[data-checkin-code]",
    "check-in QR": ".checkin-qr",
}


def desktop(new_context, width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
    return new_context(viewport={"width": width, "height": height}, is_mobile=False)


def inside(page: Page, what: str, selector: str, width: int, height: int) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{what} is not shown"
    assert box["width"] > 0 and box["height"] > 0, what
    assert box["x"] >= 0 and box["y"] >= 0, (what, box)
    assert box["x"] + box["width"] <= width + 0.5, (what, box)
    assert box["y"] + box["height"] <= height + 0.5, (what, box)


def test_projector_fits_16_9_screens_and_console_confirms(server: LiveServer, new_context) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base = f"/minzhucun/meetings/{server.meeting_id}/"
    console = sign_in(desktop(new_context), server, "committee", base + "console/")
    console.get_by_role("button", name="开始会议").click()
    expect(console.locator("[data-region=status]").first).to_have_text("进行中")
    connected(console)
    code = console.locator(".checkin-code strong").inner_text().strip()

    rep = sign_in(new_context(), server, "resident-rep", base + "live/")
    rep.fill("#checkin-code", code)
    rep.locator("#checkin button[type=submit]").click()
    expect(rep.get_by_text("您已签到。")).to_be_visible()
    connected(rep)
    rep.get_by_role("button", name="申请发言").click()
    expect(console.locator("[data-region=speakers] .queue li")).to_have_count(1)
    console.get_by_role("button", name="下一位发言").click()
    console.get_by_role("button", name="开始表决").click()
    expect(rep.get_by_role("button", name="赞成")).to_be_visible()
    rep.get_by_role("button", name="赞成").click()
    expect(rep.get_by_text("您已投票。")).to_be_visible()

    # Ending the poll asks first; 取消 leaves it open.
    console.get_by_role("button", name="结束表决").click()
    dialog = console.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("确定结束表决")
    SHOTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SHOTS / "console-confirm.png"))
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    expect(console.get_by_role("button", name="结束表决")).to_be_visible()
    # 确定 ends it; a mistaken close is undone while the result is unpublished.
    console.get_by_role("button", name="结束表决").click()
    confirm(console)
    console.get_by_role("button", name="重新开放表决").click()
    confirm(console)
    expect(console.get_by_role("button", name="结束表决")).to_be_visible()
    expect(console.locator("[data-region=tally] .turnout").first).to_contain_text("已投 1 票")

    # The admin page of the meeting: corrections and the agenda order while it runs.
    admin = console.context.new_page()
    admin.goto(f"{server.url}/admin/meetings/{server.meeting_id}/")
    expect(admin.get_by_role("heading", name="议程顺序")).to_be_visible()
    expect(admin.get_by_role("heading", name="修改会议信息")).to_be_visible()
    expect(admin.get_by_role("heading", name="取消会议")).to_have_count(0)  # it is live
    admin.screenshot(path=str(SHOTS / "admin-meeting.png"), full_page=True)

    for width, height in SCREENS:
        screen = sign_in(
            desktop(new_context, width, height), server, "committee", base + "projector/"
        )
        connected(screen)
        expect(screen.locator("[data-region=speakers] .timer")).to_contain_text("剩余")
        expect(screen.locator("[data-region=tally] .turnout")).to_contain_text("已投 1 票")
        expect(screen.locator("[data-checkin-code]")).to_have_text(code)
        # No site chrome, and nothing scrolls.
        assert screen.locator(".site-header, .site-footer").count() == 0
        scroll = screen.evaluate(
            "[document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
        )
        assert scroll[0] <= height and scroll[1] <= width, scroll
        for what, selector in ABOVE_THE_FOLD.items():
            inside(screen, what, selector, width, height)
        # Large enough to read from the back of the room: the item title scales with the screen.
        size = screen.locator("[data-region=current]").evaluate(
            "el => parseFloat(getComputedStyle(el).fontSize)"
        )
        assert size >= height / 20, size
        screen.screenshot(path=str(SHOTS / f"projector-{width}x{height}.png"))
