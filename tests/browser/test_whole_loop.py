"""The whole loop in Chromium, with only the demo's role accounts (issue 13 point 12).

A resident raises a matter with a photo on a phone → the committee triages and publishes it →
the committee creates a poll and schedules a meeting → participants check in and vote live on
phones → the meeting closes and the minutes render → the committee issues the result notice →
the draft resolution is completed and assigned → property posts progress and completes → the
resident reads the notification and rates → the public metrics change.

Everything happens through the browser against a live ASGI server (daphne in a subprocess, so
the meeting's websockets work) seeded with ``seed_demo``; the database is only read, to check.
The resident signs in with the real phone + code flow: the development console sender prints
the code on the server's stderr, which the fixture keeps in a file. Every step leaves a
screenshot in ``test-artifacts/whole-loop/NN-step.png`` (gitignored); the minutes and the
notice PDFs are read back with pdftotext.

Port 8346 (8340-8349 belong to the meeting tests; 8341 is test_live_meeting's).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import server_database_url

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("SIFANG_WHOLE_LOOP_PORT", "8346"))
ASGI_APP = "config.asgi:application"
PASSWORD = "sifang-demo-2026"
SLUG = "minzhucun"
SHOTS = ROOT / "test-artifacts" / "whole-loop"
RESIDENT_PHONE = "13900000001"  # a roster owner of the demo (demo.registry.roster_rows)
TITLE = "2号楼楼道声控灯不亮"
QUESTION = "是否同意由物业维修2号楼楼道声控灯"  # the demo has other 声控灯 matters: match whole
LOCAL = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE: the forms read local wall-clock time
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "device_scale_factor": 1}

pytestmark = [pytest.mark.browser]


@dataclass
class Server:
    url: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    shots: list[Path] = field(default_factory=list)

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
        """The last line ``manage.py shell -c code`` prints (reading, never writing)."""
        return self.manage("shell", "-v", "0", "-c", code).strip().splitlines()[-1]

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(PORT), ASGI_APP],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
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

    def last_code(self, phone: str) -> str:
        """The sign-in code the console sender printed last for ``phone``."""
        found = re.findall(rf"\[sifang otp\] {phone}: .*?(\d{{6}})", self.log.read_text())
        assert found, f"no code sent to {phone}"
        return found[-1]

    def shot(self, page: Page, name: str) -> None:
        path = SHOTS / f"{len(self.shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("loop")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": server_database_url(tmp, "loop"),
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(tmp / "media"),
        "SIFANG_VAR_DIR": str(tmp / "var"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server keeps Django's async-safety check
    live = Server(url=f"http://127.0.0.1:{PORT}", env=env, log=tmp / "daphne.log")
    live.manage("migrate", "--noinput", "-v", "0")
    live.manage("seed_demo")
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def patient() -> Iterator[None]:
    """The shared test machine is busy and some steps render PDFs: wait longer for what the
    pages show (no duration is asserted). Playwright's default is restored afterwards."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def staff_page(context: BrowserContext, server: Server, username: str, path: str) -> Page:
    """Staff sign in with their password on the site's sign-in page and land on ``path``."""
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{server.url}{path}")
    return page


def resident_page(context: BrowserContext, server: Server, phone: str) -> Page:
    """A resident signs in with phone and the one-time code the console sender printed."""
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/?next=/{SLUG}/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/accounts/code/verify/**")
    page.get_by_label("验证码").fill(server.last_code(phone))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    return page


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (90, 90, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


def confirm(page: Page) -> None:
    """Answer the console's confirmation dialog (closing a poll or the meeting) with 确定."""
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="确定").click()
    expect(dialog).to_be_hidden()


def pdf_text(page: Page, server: Server, url: str, name: str) -> str:
    """Download ``url`` with the page's session; its first page becomes the step's screenshot
    (pdftoppm) and its text is returned (pdftotext)."""
    response = page.request.get(url)
    assert response.ok, f"{url}: {response.status}"
    assert response.headers["content-type"].startswith("application/pdf")
    pdf = server.log.parent / f"{name}.pdf"
    pdf.write_bytes(response.body())
    path = SHOTS / f"{len(server.shots) + 1:02d}-{name}"
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf), str(path)],
        check=True,
    )
    server.shots.append(path.with_suffix(".png"))
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def community_metrics(page: Page, server: Server) -> dict[str, tuple[int, int]]:
    """The public metrics page's community row: each rate's (numerator, denominator)."""
    page.goto(f"{server.url}/{SLUG}/metrics/")
    found = {}
    for cell in page.locator("table.metrics-table tr.total td").all():
        pair = re.search(r"\((\d+)/(\d+)\)", cell.inner_text())
        if pair:
            found[cell.get_attribute("data-label") or ""] = (int(pair[1]), int(pair[2]))
    assert {"解决率", "满意率"} <= found.keys(), found
    return found


def test_the_whole_loop(
    server: Server, new_context: Callable[..., BrowserContext], tmp_path: Path, patient: None
) -> None:
    def context(**options: object) -> BrowserContext:
        made = new_context(**options)
        made.set_default_timeout(60_000)
        return made

    visitor = context().new_page()
    metrics_before = community_metrics(visitor, server)
    server.shot(visitor, "metrics-before")

    # 1. A resident raises a matter with a photo, on a phone, signed in by phone + code.
    resident = resident_page(context(), server, RESIDENT_PHONE)
    resident.goto(f"{server.url}/{SLUG}/proposals/new/")
    resident.get_by_label("标题").fill(TITLE)
    resident.get_by_label("内容").fill(
        "2号楼三至五层楼道的声控灯坏了一个多月,晚上上下楼看不见台阶。"
    )
    resident.get_by_label("类别").select_option("facilities")
    resident.get_by_label("地点").fill("2号楼楼道")
    photo = tmp_path / "deng.jpg"
    photo.write_bytes(photo_bytes())
    resident.locator("input[name=photos]").set_input_files(photo)
    server.shot(resident, "resident-raises")
    resident.get_by_role("button", name="提交").click()
    resident.wait_for_url(re.compile(rf"/{SLUG}/proposals/\d+/$"))
    proposal_id = int(resident.url.rstrip("/").rsplit("/", 1)[-1])
    expect(resident.get_by_text("尚未通过审核")).to_be_visible()
    server.shot(resident, "resident-submitted")

    # 2. The committee triages it: accepts it for property and publishes it.
    committee = staff_page(context(**DESKTOP), server, "committee", "/admin/")
    committee.goto(f"{server.url}/admin/proposals/triage/")
    committee.get_by_role("link", name=TITLE).click()
    accept = committee.locator("#action-accept")
    accept.locator("select[name=accept-category]").select_option("facilities")
    accept.locator("select[name=accept-responsible_party]").select_option("property")
    accept.locator("textarea[name=accept-note]").fill("提交议事会表决后由物业维修")
    accept.get_by_role("button", name="受理").click()
    expect(committee.get_by_text("已受理。").first).to_be_visible()
    publish = committee.locator("#action-publish")
    if publish.count():  # accepting may publish it already (the triage flow's choice)
        publish.get_by_role("button", name="审核通过并公开").click()
        expect(committee.get_by_text("已审核通过并公开。").first).to_be_visible()
    expect(committee.locator("section.help-block")).to_contain_text("已公开")
    server.shot(committee, "committee-triaged")

    # 3. The committee creates the poll for the matter (a draft) ...
    committee.goto(f"{server.url}/admin/snippets/votes/poll/add/")
    committee.locator("#id_community").select_option(label="民主村社区")
    # The matter through Wagtail's chooser: a modal listing the matters, searchable.
    committee.get_by_role("button", name=re.compile("选择.*议题")).click()
    modal = committee.locator(".modal")
    modal.get_by_role("link", name=TITLE).click()
    expect(committee.locator("#id_proposal")).to_have_value(str(proposal_id))
    committee.locator("#id_question").fill(QUESTION)
    committee.locator("#id_kind").select_option("deliberative")
    committee.locator("#id_electorate").select_option("attendees")
    committee.locator("#id_method").select_option("yesno")
    committee.locator("#id_rule").select_option("majority")
    # "表决结果决定议题" stays unchecked: after the meeting the matter follows the verdict and
    # a draft resolution waits for the committee (meetings.services._follow_verdicts).
    expect(committee.locator("#id_decides_proposal")).not_to_be_checked()
    committee.locator("#id_show_running_tally").check()
    server.shot(committee, "committee-poll-form")
    committee.get_by_role("button", name="保存", exact=True).click()
    committee.wait_for_url(re.compile(r"/admin/snippets/votes/poll/(\?|$)"))
    server.shot(committee, "committee-poll-created")

    # ... and schedules the meeting with the matter (and its draft poll) on the agenda.
    committee.goto(f"{server.url}/admin/meetings/schedule/")
    starts = dt.datetime.now(LOCAL) + dt.timedelta(minutes=5)
    committee.get_by_label("会议名称").fill("楼道照明专题议事会")
    committee.get_by_label("时间").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    committee.get_by_label("地点").fill("社区党群服务中心一楼议事厅")
    committee.get_by_label("主持人").select_option(label="陈丽华")
    committee.get_by_label(TITLE).check()
    server.shot(committee, "committee-schedules")
    committee.get_by_role("button", name=re.compile("安排")).click()
    expect(committee.get_by_text("已安排议事会「楼道照明专题议事会」")).to_be_visible()
    code = re.search(r"签到码 (\d{6})", committee.locator(".messages").inner_text())
    assert code is not None
    committee.get_by_role("row", name=re.compile("楼道照明专题议事会")).get_by_role(
        "link", name="控制台"
    ).click()
    committee.wait_for_url(re.compile(rf"/{SLUG}/meetings/\d+/console/$"))
    meeting_id = int(committee.url.rstrip("/").split("/")[-2])
    base = f"{server.url}/{SLUG}/meetings/{meeting_id}/"

    # 4. The meeting opens; four participants check in and vote live on their phones.
    committee.get_by_role("button", name="开始会议").click()
    expect(committee.locator("[data-region=status]").first).to_have_text("进行中")
    expect(committee.locator("#live.ws-on")).to_have_count(1)
    phones = {"resident": resident}
    for username in ("resident-rep", "property", "department"):
        phones[username] = staff_page(context(), server, username, "/" + SLUG + "/")
    for phone in phones.values():
        phone.goto(base + "live/")
        phone.fill("#checkin-code", code.group(1))
        phone.locator("#checkin button[type=submit]").click()
        expect(phone.get_by_text("您已签到。")).to_be_visible()
        expect(phone.locator("#live.ws-on")).to_have_count(1)
        expect(phone.locator("[data-region=current]")).to_have_text(TITLE)
    expect(committee.locator("[data-region=attendance] .quorum")).to_contain_text("到会 4 人")
    server.shot(phones["resident"], "phone-checked-in")
    committee.get_by_role("button", name="开始表决").click()
    for phone in phones.values():
        expect(phone.get_by_role("button", name="赞成")).to_be_visible()
    server.shot(phones["resident"], "phone-ballot")
    choices = {"resident": "赞成", "resident-rep": "赞成", "property": "赞成", "department": "反对"}
    for name, label in choices.items():
        phones[name].get_by_role("button", name=label).click()
    for phone in phones.values():
        expect(phone.locator("[data-region=receipt]")).to_contain_text("回执号")
    # The running tally reached every phone without a reload.
    expect(phones["resident"].locator("[data-region=tally] .turnout")).to_contain_text("已投 4 票")
    server.shot(phones["resident"], "phone-voted")
    expect(committee.locator("[data-region=tally] .turnout")).to_contain_text("已投 4 票")
    server.shot(committee, "console-tally")

    # 5. The poll and the meeting close; the minutes render.
    committee.get_by_role("button", name="结束表决").click()
    confirm(committee)
    expect(committee.locator("[data-region=tally] .verdict")).to_contain_text("表决结果：通过")
    for phone in phones.values():  # pushed to every phone, no reload
        expect(phone.locator("[data-region=tally] .verdict")).to_contain_text("表决结果：通过")
    committee.get_by_role("button", name="结束会议").click()
    confirm(committee)
    expect(committee.locator("[data-region=status]").first).to_have_text("已结束", timeout=90_000)
    server.shot(committee, "meeting-closed")
    # The committee reviews the draft minutes and makes them final and public.
    committee.goto(f"{server.url}/admin/minutes-review/")
    committee.get_by_role("row", name=re.compile("楼道照明专题议事会")).get_by_role(
        "link", name="审核"
    ).click()
    expect(committee.locator(".minutes-review-facts")).to_contain_text("查看当前版本(PDF)")
    server.shot(committee, "minutes-review")
    committee.get_by_role("button", name="定稿并公开").click()
    expect(committee.get_by_text("纪要已定稿并公开")).to_be_visible()
    minutes = pdf_text(visitor, server, base + "minutes.pdf", "minutes-pdf")  # public now
    flat = re.sub(r"\s+", "", minutes)
    assert TITLE in flat and "楼道照明专题议事会" in flat, minutes
    assert "草稿" not in flat, minutes
    assert re.search(r"赞成\D{0,8}3", flat) and re.search(r"反对\D{0,8}1", flat), minutes

    # 6. The committee issues the result notice; the PDF carries the matter and the counts.
    committee.goto(f"{server.url}/admin/notice-desk/issue/final_result/")
    subject = committee.get_by_label("公示事项")
    subject.select_option(subject.locator("option", has_text=QUESTION).get_attribute("value"))
    server.shot(committee, "notice-form")
    committee.get_by_role("button", name="发布", exact=True).click()
    expect(committee.get_by_text(re.compile("已发布"))).to_be_visible()
    server.shot(committee, "notice-issued")
    visitor.goto(f"{server.url}/{SLUG}/notices/")
    link = visitor.get_by_role("link", name=re.compile(QUESTION))
    href = link.get_attribute("href")
    assert href is not None
    notice = pdf_text(visitor, server, server.url + href, "notice-pdf")
    flat = re.sub(r"\s+", "", notice)
    assert QUESTION in flat and TITLE in flat, notice
    assert re.search(r"赞成\D{0,6}3", flat) and re.search(r"反对\D{0,6}1", flat), notice

    # 7. The committee completes the draft resolution the meeting left and assigns it.
    committee.goto(f"{server.url}/admin/meetings/{meeting_id}/")
    assign = committee.locator("form").filter(has=committee.locator("input[value=assign]")).first
    assign.get_by_label("决议内容").fill("物业在 7 天内更换2号楼三至五层楼道声控灯。")
    assign.get_by_label("责任方").select_option("property")
    deadline = (dt.datetime.now(LOCAL).date() + dt.timedelta(days=7)).isoformat()
    assign.get_by_label("办结期限").fill(deadline)
    server.shot(committee, "resolution-assign")
    assign.get_by_role("button", name="完善并交办").click()
    expect(committee.get_by_text("决议已完善并交办")).to_be_visible()
    resolution_id = int(
        server.query(
            "from deliberation.models import Resolution; "
            f"print(Resolution.objects.get(proposal_id={proposal_id}).pk)"
        )
    )

    # 8. Property posts progress with a photo and completes, in the admin.
    prop = staff_page(context(**DESKTOP), server, "property", "/admin/")
    prop.goto(f"{server.url}/admin/resolutions/{resolution_id}/")
    prop.get_by_label("进展说明").fill("已采购声控灯,明日安装。")
    prop.get_by_label("完成进度(%)").fill("50")
    prop.get_by_label("照片拍摄阶段").select_option("before")
    prop.locator("#id_progress-photos").set_input_files(str(photo))
    prop.get_by_role("button", name="发布进展").click()
    expect(prop.get_by_text("进展已发布。")).to_be_visible()
    server.shot(prop, "property-progress")
    prop.get_by_label("办结报告").fill("2号楼三至五层声控灯已全部更换,经测试正常。")
    prop.locator("#id_complete-photos").set_input_files(str(photo))
    prop.get_by_role("button", name="办结").click()
    expect(prop.get_by_text("已办结,满意度测评开始。")).to_be_visible()
    server.shot(prop, "property-completed")

    # 9. The resident finds the notification in the inbox, follows it and rates.
    resident.goto(f"{server.url}/inbox/")
    newest = resident.locator(".inbox-item").first
    expect(newest).to_contain_text(TITLE)
    expect(newest).to_contain_text("已办结")
    expect(newest.locator(".badge-unread")).to_be_visible()
    server.shot(resident, "resident-inbox")
    newest.get_by_role("link").first.click()
    resident.wait_for_url(re.compile(rf"/{SLUG}/resolutions/{resolution_id}/"))
    resident.get_by_label("满意", exact=True).check()
    resident.get_by_label("意见(选填)").fill("灯亮了,谢谢物业。")
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.get_by_text("您的评价:满意")).to_be_visible()
    server.shot(resident, "resident-rated")
    # The whole way on one timeline: raised, accepted, on the agenda, voted, decided, progress.
    timeline = resident.locator(".resolution-timeline")
    for step in ("提出议题", "已受理", "已列入议程", "形成决议", "办理进展", "办结报告"):
        expect(timeline).to_contain_text(step)

    # 10. The public metrics moved.
    metrics_after = community_metrics(visitor, server)
    server.shot(visitor, "metrics-after")
    for rate in ("解决率", "满意率"):  # one more resolution completed, one more rating, satisfied
        done, total = metrics_before[rate]
        assert metrics_after[rate] == (done + 1, total + 1), (rate, metrics_before, metrics_after)

    # Every step left its screenshot (and the PDFs their first page).
    expected = [
        "metrics-before",
        "resident-raises",
        "resident-submitted",
        "committee-triaged",
        "committee-poll-form",
        "committee-poll-created",
        "committee-schedules",
        "phone-checked-in",
        "phone-ballot",
        "phone-voted",
        "console-tally",
        "meeting-closed",
        "minutes-review",
        "minutes-pdf",
        "notice-form",
        "notice-issued",
        "notice-pdf",
        "resolution-assign",
        "property-progress",
        "property-completed",
        "resident-inbox",
        "resident-rated",
        "metrics-after",
    ]
    assert [p.name.split("-", 1)[1].removesuffix(".png") for p in server.shots] == expected
    for path in server.shots:
        assert path.is_file() and path.stat().st_size > 1000, path

    # Nothing was reopened: the draft resolution the meeting left is not a reopening (checked
    # last; see /work/briefs/reports/loop-blockers.txt).
    expect(timeline).not_to_contain_text("重新办理")
