"""A facilitator and three participants (separate browser contexts) run the demo's live meeting
from opening to close: check-in, agenda, a speaker, a poll opened, three ballots, the poll
closed with the verdict on the projector; then the server restarts and the pages show the
"正在重新连接…" banner and come back.

Live ASGI server: daphne in a subprocess on port 8341 (ports 8340-8349 belong to the meetings
tests), against its own database that the fixture migrates and seeds with ``seed_demo``: a
SQLite file by default, or ``<DATABASE_URL's database>_browser`` on PostgreSQL. It does not share
pytest's test database (an in-memory SQLite database cannot be shared with another process).
With ``REDIS_URL`` set, the server uses Redis as its channel layer and cache.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import server_database_url

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("SIFANG_BROWSER_LIVE_PORT", "8341"))
PASSWORD = "sifang-demo-2026"
MEETING_TITLE = "四方议事会(现场演示)"


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    meeting_id: int
    process: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def query(self, code: str) -> str:
        """The last line ``manage.py shell -c code`` prints."""
        return self.manage("shell", "-v", "0", "-c", code).strip().splitlines()[-1]

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(PORT),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=1):
                    return
            except OSError:
                assert self.process.poll() is None, "daphne exited"
                time.sleep(0.3)
        raise AssertionError("daphne did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": server_database_url(tmp, "browser"),
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(tmp / "media"),
        "SIFANG_VAR_DIR": str(tmp / "var"),
    }
    # The Playwright fixtures allow sync ORM calls in this process; the server must not.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    live = LiveServer(url=f"http://127.0.0.1:{PORT}", env=env, meeting_id=0)
    live.manage("migrate", "--noinput", "-v", "0")
    live.manage("seed_demo")
    live.meeting_id = int(
        live.query(
            "from meetings.models import Meeting; "
            f"print(Meeting.objects.get(title={MEETING_TITLE!r}).pk)"
        )
    )
    live.start()
    try:
        yield live
    finally:
        live.stop()


def sign_in(context: BrowserContext, server: LiveServer, username: str, path: str) -> Page:
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{server.url}{path}")
    return page


def connected(page: Page) -> None:
    expect(page.locator("#live.ws-on")).to_have_count(1)


def confirm(page: Page) -> None:
    """Answer the console's confirmation dialog (closing a poll or the meeting) with 确定."""
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="确定").click()
    expect(dialog).to_be_hidden()


def test_facilitator_and_three_participants_run_a_meeting(server: LiveServer, new_context) -> None:  # type: ignore[no-untyped-def]
    base = f"/minzhucun/meetings/{server.meeting_id}/"
    console = sign_in(
        new_context(**{"viewport": {"width": 1280, "height": 900}, "is_mobile": False}),
        server,
        "committee",
        base + "console/",
    )
    console.get_by_role("button", name="开始会议").click()
    expect(console.locator("[data-region=status]").first).to_have_text("进行中")
    connected(console)
    code = console.locator(".checkin-code strong").inner_text().strip()
    assert len(code) == 6

    projector = new_context(viewport={"width": 1280, "height": 800}, is_mobile=False).new_page()
    projector.goto(server.url + base + "projector/")
    connected(projector)
    expect(projector.locator("[data-region=current]")).to_have_text(
        "在3号楼北侧加装电动自行车充电桩"
    )

    people = {}
    for username in ("resident-rep", "property", "department"):
        page = sign_in(new_context(), server, username, base + "live/")
        page.fill("#checkin-code", code)
        page.locator("#checkin button[type=submit]").click()
        expect(page.get_by_text("您已签到。")).to_be_visible()
        connected(page)
        # Agenda: the current item is shown on the phone.
        expect(page.locator("[data-region=current]")).to_have_text(
            "在3号楼北侧加装电动自行车充电桩"
        )
        people[username] = page
    # The console's quorum line moved without a reload.
    expect(console.locator("[data-region=attendance] .quorum")).to_contain_text("到会 3 人")

    # A speaker: request on the phone, the facilitator gives the floor, the timer runs.
    rep = people["resident-rep"]
    rep.get_by_role("button", name="申请发言").click()
    expect(console.locator("[data-region=speakers] .queue li")).to_have_count(1)
    console.get_by_role("button", name="下一位发言").click()
    expect(rep.locator("[data-region=speakers] .speaker-now")).to_contain_text("正在发言")
    expect(rep.locator("[data-region=speakers] .timer")).to_contain_text("剩余")
    expect(projector.locator("[data-region=speakers] .timer")).to_contain_text("剩余")

    # The poll opens on every phone without a reload.
    console.get_by_role("button", name="开始表决").click()
    for page in people.values():
        expect(page.get_by_role("button", name="赞成")).to_be_visible()
    expect(projector.locator("[data-region=tally] .turnout")).to_contain_text("已投 0 票")

    choices = {"resident-rep": "赞成", "property": "赞成", "department": "反对"}
    for username, label in choices.items():
        people[username].get_by_role("button", name=label).click()
    for page in people.values():
        expect(page.locator("[data-region=receipt]")).to_contain_text("投票成功，回执号：")
        expect(page.get_by_text("您已投票。")).to_be_visible()
    expect(projector.locator("[data-region=tally] .turnout")).to_contain_text("已投 3 票")
    expect(console.locator("[data-region=tally] .turnout")).to_contain_text("已投 3 票")

    console.get_by_role("button", name="结束表决").click()
    confirm(console)
    expect(projector.locator("[data-region=tally] .verdict")).to_contain_text("表决结果：通过")
    bars = projector.locator("[data-region=tally] .bar-count")
    expect(bars.nth(0)).to_contain_text("2 票")
    expect(bars.nth(1)).to_contain_text("1 票")

    console.get_by_role("button", name="结束会议").click()
    confirm(console)
    # Closing renders the minutes too (immediate tasks in this set-up): allow it the time.
    expect(projector.locator("[data-region=status]")).to_have_text("已结束", timeout=90_000)

    counts = server.query(
        "from votes.models import Ballot; from meetings.models import Meeting; "
        f"m = Meeting.objects.get(pk={server.meeting_id}); "
        "print(Ballot.objects.filter(poll=m.items.first().poll).count(), m.status)"
    ).split()
    assert counts == ["3", "closed"]


def test_pages_show_reconnecting_banner_and_recover(server: LiveServer, new_context) -> None:  # type: ignore[no-untyped-def]
    base = f"/minzhucun/meetings/{server.meeting_id}/"
    page = new_context().new_page()
    page.goto(server.url + base + "projector/")
    connected(page)
    banner = page.locator("#live-banner")
    expect(banner).to_be_hidden()
    server.stop()
    expect(banner).to_be_visible()
    expect(banner).to_have_text("正在重新连接…")
    server.start()
    expect(banner).to_be_hidden(timeout=40_000)
    connected(page)
