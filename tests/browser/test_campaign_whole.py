"""A whole owners' campaign in Chromium (issue 15 point 9), as the demo's own role accounts.

``committee`` creates and opens an owners' decision with declared rules, looks at the campaign
view and a building's not-yet-voted list, assigns ``canvasser`` to 2号楼; the canvasser records
a door ballot with a photo on a phone; ``committee`` enters a paper ballot by its code with a
scan, registers a written proxy with an instruction and enters the proxy's ballot (against the
instruction: refused), records a phone vote with read-back; ``committee2`` confirms each entry
(the one who entered cannot); ``committee`` pauses with a reason and resumes; two owners vote
online (signed in by phone and code); ``committee`` closes, issues the preliminary result notice
with its objection period, records an objection and answers it, publishes the final result and
its notice; the public result page shows the final numbers and who entered and confirmed.

Every step goes through the pages. Data setup only: ``seed_demo``; the other owners' online
ballots (so that the decision reaches the art. 278 participation thresholds, which two browser
voters of ~115 owners never would); the ballot code read from the database (the printed paper
in the clerk's hand); the objection period's end (a week cannot pass in a test).
Screenshots: ``/tmp/campflow-shots/NN-step.png``.
"""

from __future__ import annotations

import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from deliberation.accounts.senders import ConsoleSender
from deliberation.models import Building, User
from demo.registry import DEMO_PASSWORD
from votes import services as vote_services
from votes.models import (
    Ballot,
    BallotChannel,
    BallotEntry,
    CampaignUnit,
    EntryStatus,
    Participation,
    Poll,
    PollObjection,
    PollStatus,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/campflow-shots")
SLUG = "minzhucun"
QUESTION = "是否同意在2号楼东侧增设电动自行车充电棚"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "device_scale_factor": 1}
ONLINE_PHONES = ("13900000001", "13900000002")  # roster owners (demo.registry.roster_rows)


class Shots:
    def __init__(self) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob("*.png"):
            old.unlink()
        self.taken: list[Path] = []

    def __call__(self, page: Page, name: str) -> None:
        path = SHOTS / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)

    def pdf(self, page: Page, url: str, name: str) -> str:
        """Fetch a PDF with the page's session; its first page becomes a screenshot; its text
        (pdftotext) is returned without whitespace."""
        response = page.request.get(url)
        assert response.ok and response.headers["content-type"].startswith("application/pdf")
        pdf = SHOTS / f"{name}.pdf"
        pdf.write_bytes(response.body())
        path = SHOTS / f"{len(self.taken) + 1:02d}-{name}"
        subprocess.run(
            ["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", "1", "-l", "1", pdf, path],
            check=True,
        )
        self.taken.append(path.with_suffix(".png"))
        done = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return re.sub(r"\s+", "", done.stdout)


@pytest.fixture
def demo(live_server, wagtail_site):  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    return live_server


def slip(tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (240, 320), "white").save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def staff_page(context: BrowserContext, url: str, username: str, path: str) -> Page:
    """Sign in with the demo account's password on the site's sign-in page."""
    page = context.new_page()
    page.goto(f"{url}/accounts/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{url}{path}")
    return page


def owner_page(context: BrowserContext, url: str, phone: str) -> Page:
    """An owner signs in with phone and the code the console sender 'texted'."""
    page = context.new_page()
    page.goto(f"{url}/accounts/login/?next=/{SLUG}/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/accounts/code/verify/**")
    code = next(sent.code for sent in reversed(ConsoleSender.outbox) if sent.phone == phone)
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    return page


def pick(page: Page, label: str) -> None:
    """Tick the option ``label`` on the campaign entry form (labels read "1. 赞成")."""
    page.locator("form.campaign-entry label.choice", has_text=label).locator("input").check()


def single_units(poll: Poll, building: str) -> list[CampaignUnit]:
    """Units of ``building`` whose owner owns only that unit (one ballot, one unit)."""
    singles = {v["key"] for v in poll.frozen_electorate if len(v.get("units", [])) == 1}
    rows = CampaignUnit.objects.filter(poll=poll, building__name=building).select_related("unit")
    return sorted(
        (row for row in rows if row.voter_key in singles and not row.unit.unsold),
        key=lambda row: (row.unit.floor, row.unit.number),
    )


def other_owners_vote(poll: Poll, keep: set[str]) -> tuple[int, int]:
    """Setup: owners outside 2号楼 (and not the two browser voters) vote online until the
    participation thresholds are met with a margin. Returns (ballots, of them 反对)."""
    yes, no = list(poll.options.order_by("sort_order", "pk"))[:2]
    total_heads = sum(int(v["headcount"]) for v in poll.frozen_electorate)
    total_area = sum(Decimal(v["area"]) for v in poll.frozen_electorate)
    heads, area, cast, against = 0, Decimal(0), 0, 0
    for voter in poll.frozen_electorate:
        labels = " ".join(u["label"] for u in voter.get("units", []))
        if voter["key"] in keep or "2号楼" in labels or not voter.get("user_ids"):
            continue
        if 3 * heads >= 2 * total_heads + 3 and 3 * area >= 2 * total_area + 300:
            break
        user = User.objects.get(pk=voter["user_ids"][0])
        option = no if cast % 5 == 4 else yes
        vote_services.ballot_cast(poll=poll, voter=user, choice={"choice": option.pk})
        heads, area = heads + int(voter["headcount"]), area + Decimal(voter["area"])
        cast, against = cast + 1, against + (option == no)
    return cast, against


def test_a_whole_campaign_in_the_browser(demo, new_context, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = demo.url
    shot = Shots()

    def context(**options: object) -> BrowserContext:
        made = new_context(**options)
        made.set_default_timeout(60_000)  # the shared machine is busy; no timing is asserted
        return made

    expect.set_options(timeout=30_000)
    try:
        _walk(url, shot, context, tmp_path)
    finally:
        expect.set_options(timeout=5_000)


def _walk(url: str, shot: Shots, context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    committee = staff_page(context(**DESKTOP), url, "committee", "/admin/")
    second = staff_page(context(**DESKTOP), url, "committee2", "/admin/")

    # 1. The committee creates an owners' decision with declared rules, then opens it.
    committee.goto(f"{url}/admin/snippets/votes/poll/add/")
    committee.locator("#id_community").select_option(label="民主村社区")
    committee.locator("#id_question").fill(QUESTION)
    committee.locator("#id_kind").select_option("owners")
    committee.locator("#id_electorate").select_option("owners")
    committee.locator("#id_method").select_option("yesno")
    committee.locator("#id_rule").select_option("owners_ordinary")
    committee.locator("#id_public_ballot_list").check()
    shot(committee, "poll-form")
    committee.get_by_role("button", name="保存", exact=True).click()
    committee.wait_for_url(re.compile(r"/admin/snippets/votes/poll/(\?|$)"))
    poll = Poll.objects.get(question=QUESTION)
    public = f"{url}/{SLUG}/polls/{poll.pk}/"
    committee.goto(public)
    committee.get_by_role("button", name=re.compile("开始表决")).click()
    expect(committee.locator("[data-testid=poll-stage]")).to_contain_text("表决中")
    rules = committee.locator("[data-testid=declared-rules]")
    expect(rules).to_contain_text("截止后公布投票清单")
    expect(rules).to_contain_text("投票后不能更改")
    shot(committee, "poll-opened")
    poll.refresh_from_db()

    # Setup: most owners of the other buildings vote online meanwhile.
    online_keys = {
        v["key"]
        for v in poll.frozen_electorate
        for phone in ONLINE_PHONES
        if User.objects.filter(phone=phone, pk__in=v["user_ids"]).exists()
    }
    assert len(online_keys) == 2
    others, others_against = other_owners_vote(poll, online_keys)

    # 2. The campaign view and 2号楼's not-yet-voted list.
    committee.goto(f"{url}/admin/campaign/{poll.pk}/")
    expect(committee.locator("[data-field=hp]")).to_have_text(str(others))
    shot(committee, "campaign-view")
    building = Building.objects.get(community__slug=SLUG, name="2号楼")
    units = single_units(poll, "2号楼")
    door, paper, proxy, phone = units[0], units[1], units[2], units[3]
    committee.goto(f"{url}/admin/campaign/{poll.pk}/not-voted/?building={building.pk}")
    waiting = committee.locator("main")
    for row in (door, paper, proxy, phone):
        expect(waiting).to_contain_text(row.unit.number)
    shot(committee, "not-voted-2")

    # 3. The canvasser of 2号楼 records a door ballot with a photo, on a phone.
    committee.goto(f"{url}/admin/campaign/{poll.pk}/canvassers/")
    committee.fill("#who", "canvasser")
    committee.get_by_label("2号楼", exact=True).check()
    committee.get_by_role("button", name="分配", exact=True).click()
    expect(committee.get_by_text("已分配")).to_be_visible()
    canvasser = staff_page(context(), url, "canvasser", f"/{SLUG}/")
    canvasser.goto(f"{public}canvass/")
    canvasser.locator("a.canvass-item", has_text=f"2号楼 {door.unit.number}").click()
    canvasser.check("input[name=choice] >> nth=0")
    canvasser.set_input_files("input[name=evidence]", slip(tmp_path, "door"))
    canvasser.locator("input[name=signer_name]").fill("业主本人")
    shot(canvasser, "canvasser-door-ballot")
    canvasser.click("button.big")
    expect(canvasser.get_by_text("的入户选票已提交")).to_be_visible()
    shot(canvasser, "canvasser-submitted")

    # 4. A paper ballot by its code, with the scan; the one who entered it cannot confirm it.
    committee.goto(f"{url}/admin/campaign/{poll.pk}/entry/")
    committee.fill("#code", f"{paper.code[:4]} {paper.code[4:8]} {paper.code[8:]}".lower())
    committee.press("#code", "Enter")
    committee.check("input[name=choice] >> nth=0")
    committee.set_input_files("input[name=evidence]", slip(tmp_path, "paper"))
    shot(committee, "paper-entry")
    committee.click("form.campaign-entry button[type=submit]")
    expect(committee.get_by_text("的选票已录入,等待另一名工作人员复核后计入")).to_be_visible()
    committee.goto(f"{url}/admin/campaign/{poll.pk}/entries/")
    mine = committee.locator("tr", has_text=f"2号楼 {paper.unit.number}")
    expect(mine).to_contain_text("本人录入,须他人复核")
    expect(mine.get_by_role("button", name=re.compile("核对无误"))).to_have_count(0)
    assert not Participation.objects.filter(poll=poll, voter_key=paper.voter_key).exists()

    # 5. A written proxy with an instruction (赞成); the proxy's ballot against it is refused.
    committee.goto(f"{url}/admin/proxies/{SLUG}/add/")
    principal = committee.locator("#id_principal_key")
    principal.select_option(
        principal.locator("option", has_text=f"2号楼-{proxy.unit.number}").get_attribute("value")
    )
    committee.locator("#id_holder_name").fill("刘志刚")
    committee.locator("#id_holder_phone").fill("13812345678")
    committee.set_input_files("#id_scan", slip(tmp_path, "letter"))
    committee.get_by_label(QUESTION, exact=True).check()
    committee.locator(f"#id_instruction_{poll.pk}").select_option(label="赞成")
    shot(committee, "proxy-letter")
    committee.get_by_role("button", name="登记", exact=True).click()
    expect(committee.get_by_text("授权委托书已登记。")).to_be_visible()
    committee.goto(f"{url}/admin/campaign/{poll.pk}/entry/?code={proxy.code}")
    committee.get_by_role("link", name="委托代投(工作人员录入)").click()
    pick(committee, "反对")
    committee.set_input_files("input[name=evidence]", slip(tmp_path, "proxy"))
    committee.locator("input[name=proxy_name]").fill("刘志刚")
    committee.locator("textarea[name=proxy_note]").fill("授权委托书(业主签字,仅限本次表决)")
    committee.click("form.campaign-entry button[type=submit]")
    expect(committee.locator("[data-testid=entry-error]")).to_contain_text("必须与指示一致")
    shot(committee, "proxy-against-instruction")
    pick(committee, "赞成")
    committee.set_input_files("input[name=evidence]", slip(tmp_path, "proxy"))
    committee.locator("input[name=proxy_name]").fill("刘志刚")
    committee.locator("textarea[name=proxy_note]").fill("授权委托书(业主签字,仅限本次表决)")
    committee.click("form.campaign-entry button[type=submit]")
    expect(committee.get_by_text("的选票已录入,等待另一名工作人员复核后计入")).to_be_visible()

    # 6. A phone vote from the not-yet-voted list, with the read-back.
    committee.goto(f"{url}/admin/campaign/{poll.pk}/not-voted/?building={building.pk}&contacts=1")
    committee.locator("tbody tr").filter(
        has=committee.locator(f"td:first-child strong:text-is('{phone.unit.number}')")
    ).get_by_role("link", name="电话表决").click()
    committee.locator("input[name=duration_minutes]").fill("4")
    committee.locator("textarea[name=notes]").fill("宣读了表决事项和两个选项,业主选择反对。")
    pick(committee, "反对")
    committee.locator("input[name=read_back]").check()
    shot(committee, "phone-vote")
    committee.click("form.campaign-entry button[type=submit]")
    expect(committee.get_by_text("的选票已录入,等待另一名工作人员复核后计入")).to_be_visible()

    # committee2 confirms the four entries against the photos.
    second.goto(f"{url}/admin/campaign/{poll.pk}/entries/")
    shot(second, "entries-to-confirm")
    confirm = second.get_by_role("button", name=re.compile("核对无误"))
    expect(confirm).to_have_count(4)
    for left in (3, 2, 1, 0):
        confirm.first.click()
        expect(confirm).to_have_count(left)
        expect(second.get_by_text(re.compile("已复核计入,回执"))).to_be_visible()
    entries = BallotEntry.objects.filter(poll=poll)
    assert {(e.channel, e.status) for e in entries} == {
        (channel, EntryStatus.CONFIRMED)
        for channel in (
            BallotChannel.DOOR,
            BallotChannel.PAPER,
            BallotChannel.PROXY,
            BallotChannel.PHONE,
        )
    }
    second.goto(f"{url}/admin/campaign/{poll.pk}/")
    expect(second.locator("[data-field=hp]")).to_have_text(str(others + 4))
    shot(second, "campaign-after-entries")

    # 7. Pause with a reason, then resume.
    committee.goto(public)
    committee.fill("#pause-reason", "发现选票印刷错误,核对后恢复")
    committee.get_by_role("button", name="暂停表决(全部渠道)").click()
    suspended = committee.locator("[data-testid=poll-suspended]")
    expect(suspended).to_contain_text("发现选票印刷错误")
    voter = owner_page(context(), url, ONLINE_PHONES[0])
    voter.goto(public)
    expect(voter.get_by_role("button", name="提交选票")).to_have_count(0)
    shot(voter, "owner-sees-pause")
    committee.fill("#resume-reason", "已核对,恢复表决")
    committee.get_by_role("button", name="恢复表决").click()
    expect(committee.locator("[data-testid=pause-form]")).to_be_visible()

    # 8. Two owners vote online on their phones.
    for index, phone_number in enumerate(ONLINE_PHONES):
        owner = voter if index == 0 else owner_page(context(), url, phone_number)
        owner.goto(public)
        owner.get_by_label("赞成", exact=True).check()
        owner.get_by_role("button", name="提交选票").click()
        expect(owner.get_by_role("heading", name="您的选票已记录")).to_be_visible()
        if index == 0:
            shot(owner, "owner-voted")

    # 9. Close: the preliminary result with its objection period, and its notice.
    committee.goto(public)
    committee.get_by_role("button", name="截止表决").click()
    expect(committee.locator("[data-testid=poll-stage]")).to_contain_text("初步结果")
    shot(committee, "preliminary-result")
    committee.goto(f"{url}/admin/notice-desk/issue/vote_result/")
    subject = committee.get_by_label("公示事项")
    subject.select_option(subject.locator("option", has_text=QUESTION).get_attribute("value"))
    committee.get_by_role("button", name="发布", exact=True).click()
    expect(committee.get_by_text(re.compile("已发布"))).to_be_visible()
    visitor = context().new_page()
    visitor.goto(f"{url}/{SLUG}/notices/")
    link = visitor.get_by_role("link", name=re.compile(re.escape(QUESTION))).first
    preliminary = shot.pdf(visitor, url + link.get_attribute("href"), "preliminary-notice")
    assert QUESTION in preliminary and "异议期截止" in preliminary, preliminary

    # 10. An objection, recorded and answered in the admin.
    committee.goto(public)
    committee.get_by_role("link", name="登记和答复异议").click()
    committee.fill("#id_objector_name", "孙桂兰")
    committee.fill("#id_unit_label", f"2号楼-{phone.unit.number}")
    committee.select_option("#id_channel", "phone")
    committee.fill("#id_text", "我是电话表决的,想确认我的票按“反对”计入了。")
    committee.get_by_role("button", name="登记", exact=True).click()
    committee.locator("textarea[name=answer]").fill("已核对通话记录和复核记录,按反对计入。")
    committee.get_by_role("button", name="保存答复").click()
    expect(committee.get_by_text("答复已保存")).to_be_visible()
    shot(committee, "objection-answered")
    assert PollObjection.objects.get(poll=poll).answered_by.username == "committee"

    # 11. The objection period ends (setup: a week cannot pass here); the final result and its
    # notice.
    Poll.objects.filter(pk=poll.pk).update(objection_until=timezone.now())
    committee.goto(public)
    committee.get_by_role("button", name=re.compile("公布最终结果")).click()
    expect(committee.locator("[data-testid=poll-stage]")).to_contain_text("最终")
    committee.goto(f"{url}/admin/notice-desk/issue/final_result/")
    subject = committee.get_by_label("公示事项")
    subject.select_option(subject.locator("option", has_text=QUESTION).get_attribute("value"))
    committee.get_by_role("button", name="发布", exact=True).click()
    expect(committee.get_by_text(re.compile("已发布"))).to_be_visible()
    visitor.goto(f"{url}/{SLUG}/notices/")
    link = visitor.get_by_role("link", name=re.compile(re.escape(QUESTION) + ".*最终")).first
    final = shot.pdf(visitor, url + link.get_attribute("href"), "final-notice")
    assert "最终结果" in final and "表决结果:通过" in final, final
    assert "录入人：吴德明(扫楼人员)、陈丽华(社区工作人员)" in final, final
    assert "复核人：黄海燕(社区工作人员)" in final, final
    assert "我是电话表决的" in final, final

    # 12. The public result page: the final numbers, and who entered and who confirmed.
    poll.refresh_from_db()
    assert poll.status == PollStatus.FINAL
    took_part = others + 4 + 2
    against = others_against + 1  # the phone vote
    assert Ballot.objects.filter(poll=poll).count() == took_part
    visitor.goto(public)
    expect(visitor.locator("[data-testid=verdict]")).to_contain_text("通过")
    expect(visitor.locator("[data-testid=participating-headcount]")).to_contain_text(
        f"{took_part} / {sum(int(v['headcount']) for v in poll.frozen_electorate)}"
    )
    table = visitor.locator("table").first
    expect(table.locator("tr", has_text="赞成")).to_contain_text(str(took_part - against))
    expect(table.locator("tr", has_text="反对")).to_contain_text(str(against))
    listed = visitor.locator("[data-testid=staff-entries]")
    for channel in ("paper", "door", "proxy", "phone"):
        expect(listed.locator(f"li[data-channel={channel}]")).to_contain_text("1")
    rows = listed.locator("tbody tr")
    expect(rows).to_have_count(4)
    for row in (door, paper, proxy, phone):
        expect(listed).to_contain_text(f"2号楼-{row.unit.number}")
    expect(listed.locator("tr", has_text=f"2号楼-{door.unit.number}")).to_contain_text(
        "吴德明(扫楼人员)"
    )
    expect(listed).to_contain_text("陈丽华(社区工作人员)")
    expect(listed.locator("tr", has_text="黄海燕(社区工作人员)")).to_have_count(4)
    expect(listed).not_to_contain_text("反对")  # never a choice beside a unit
    shot(visitor, "final-public-result")
    assert len(shot.taken) == 19
    for path in shot.taken:
        assert path.is_file() and path.stat().st_size > 1000, path
