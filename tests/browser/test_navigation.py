"""In Chromium, on the demo data: a visitor reaches every section of the community from the header,
on a phone and a desktop, in the standard and the elder mode; a resident finds their answered
matter under 我的议题; an unknown address shows the site's own 404 page. Screenshots are saved
under test-artifacts/navigation/ for a person to look at."""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import BrowserContext, Page

from deliberation.models import Community, Member, User
from deliberation.proposals.services import proposal_answer, proposal_submit
from tests.browser.conftest import ARTIFACTS, DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "navigation"
NAV = ["社区首页", "议题", "议事会", "表决", "公示", "决议督办", "办理指标"]


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]})
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]
    ]


def signed_in(new_context, live_server, user: User, **options) -> BrowserContext:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    context = new_context(**options)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


@pytest.fixture
def demo(live_server, wagtail_site):  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    return live_server


def test_visitor_reaches_every_section_from_the_header(demo, new_context) -> None:  # type: ignore[no-untyped-def]
    for label, options in (("phone", {}), ("desktop", DESKTOP)):
        page = new_context(**options).new_page()
        page.goto(demo.url + "/")
        # The demo has two communities (民主村 and its street's 和平里): the site home lists them,
        # and the header links a community's pages once the visitor is in one.
        page.get_by_role("main").get_by_role("link", name="民主村社区").first.click()
        page.wait_for_url(demo.url + "/minzhucun/")
        nav = page.get_by_role("navigation", name="主导航")
        nav.get_by_role("link", name="社区首页").click()
        page.wait_for_url(demo.url + "/minzhucun/")
        assert page.get_by_role("heading", name="民主村社区", level=1).is_visible()
        for heading in ("正在办理的议题", "议事会", "正在进行的表决", "公示中", "决议办理"):
            assert page.get_by_role("heading", name=heading, level=2).is_visible(), heading
        shot(page, f"community-home-{label}")
        assert axe_violations(page) == []
        for name in NAV[1:]:
            page.get_by_role("navigation", name="主导航").get_by_role(
                "link", name=name, exact=True
            ).click()
            page.wait_for_load_state()
            current = page.get_by_role("navigation", name="主导航").locator('[aria-current="page"]')
            assert current.inner_text() == name, (label, name, page.url)
            assert page.locator("h1").count() >= 1
        page.goto(demo.url + "/minzhucun/")
        page.get_by_role("button", name="长辈版 / 大字").click()
        page.wait_for_url(demo.url + "/minzhucun/")
        assert page.locator("html.elder").count() == 1
        for link in page.get_by_role("navigation", name="主导航").get_by_role("link").all():
            box = link.bounding_box()
            assert box is not None and box["height"] >= 60, link.inner_text()
        shot(page, f"community-home-{label}-elder")


def test_resident_finds_their_answered_matter_under_my_matters(demo, new_context) -> None:  # type: ignore[no-untyped-def]
    community = Community.objects.get(slug="minzhucun")
    rep = Member.objects.get(community=community, user__username="resident-rep")
    committee = User.objects.get(username="committee")
    matter = proposal_submit(
        community=community,
        author=rep,
        title="3号楼门禁经常失灵",
        body="晚上门禁刷卡没反应,老人进不了门。",
    )
    proposal_answer(proposal=matter, actor=committee, answer="物业已更换读卡器,请再试。")
    page = signed_in(new_context, demo, rep.user).new_page()
    page.goto(demo.url + "/minzhucun/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的议题").click()
    page.wait_for_url(demo.url + "/mine/")
    card = page.locator("article", has_text="3号楼门禁经常失灵")
    assert card.get_by_text("物业已更换读卡器,请再试。").is_visible()
    assert card.get_by_text("未公开,仅您和社区工作人员可见").is_visible()
    card.get_by_text("办理进程").click()
    assert card.get_by_text("已当场答复").first.is_visible()
    shot(page, "my-matters-phone")
    assert axe_violations(page) == []
    card.get_by_role("link", name="3号楼门禁经常失灵").click()
    assert page.get_by_text("物业已更换读卡器,请再试。").is_visible()


def test_unknown_address_shows_the_sites_own_404(demo, page: Page) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(demo.url + "/minzhucun/proposals/99999/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="页面不存在").is_visible()
    assert page.get_by_role("navigation", name="主导航").is_visible()
    assert page.locator('[aria-current="page"]').count() == 0
    page.get_by_role("link", name="返回首页").click()
    page.wait_for_url(demo.url + "/")
    response = page.goto(demo.url + "/no-such-community/")
    assert response is not None and response.status == 404
    shot(page, "not-found-phone")
