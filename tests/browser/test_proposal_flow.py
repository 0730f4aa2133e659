"""At a phone-sized viewport in Chromium: a resident raises a matter with a photo, community staff
accept and publish it in the Wagtail admin, and an anonymous visitor finds it by search."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page

from deliberation.models import Proposal, ProposalStatus
from tests.factories.base import CommunityFactory
from tests.factories.proposals import image_bytes, resident, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "sifang-test-pass"  # set by tests.factories.base.UserFactory


def signed_in(new_context, live_server, user) -> BrowserContext:  # type: ignore[no-untyped-def]
    """A phone-sized context carrying a session for ``user`` (the sign-in flow is tested in
    test_signin.py; here it is only the way in)."""
    client = Client()
    client.force_login(user)
    context = new_context()
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


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]})
    return [v["id"] for v in results.response["violations"]]


def test_resident_raises_staff_publish_visitor_finds(live_server, new_context) -> None:  # type: ignore[no-untyped-def]
    community = CommunityFactory(name="测试花园社区", slug="garden")
    author = resident(community, user__display_name="周桂英", user__phone="13911112222")
    committee = staff(community, organisation="花园社区居委会")

    # 1. The resident raises a matter with a photo, on a phone.
    page = signed_in(new_context, live_server, author.user).new_page()
    page.goto(f"{live_server.url}/garden/proposals/new/")
    page.get_by_label("标题").fill("健身区地砖松动")
    page.get_by_label("内容").fill("中心花园健身区有三块地砖松动,老人锻炼时容易崴脚。")
    page.get_by_label("类别").select_option("facilities")
    page.get_by_label("地点").fill("中心花园健身区")
    page.locator("input[name=photos]").set_input_files(
        [{"name": "tiles.jpg", "mimeType": "image/jpeg", "buffer": image_bytes(gps=True)}]
    )
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(f"{live_server.url}/garden/proposals/*/")
    assert page.get_by_text("尚未通过审核").is_visible()
    proposal = Proposal.objects.get(title="健身区地砖松动")
    assert not proposal.live and proposal.photos.count() == 1

    # Not public yet.
    visitor = new_context().new_page()
    visitor.goto(f"{live_server.url}/garden/proposals/?q=地砖")
    assert visitor.get_by_text("没有符合条件的议题").is_visible()

    # 2. Community staff sign in to the Wagtail admin and accept it from the queue; triage and
    #    moderation are one step ("同时审核通过并公开" is ticked by default).
    admin = new_context().new_page()
    admin.goto(f"{live_server.url}/admin/login/")
    admin.locator("input[name=username]").fill(committee.user.username)
    admin.locator("input[name=password]").fill(PASSWORD)
    admin.locator("button[type=submit]").click()
    admin.wait_for_url(f"{live_server.url}/admin/")
    admin.goto(f"{live_server.url}/admin/proposals/triage/")
    admin.get_by_role("link", name="健身区地砖松动").click()
    accept = admin.locator("#action-accept")
    accept.locator("select[name=accept-category]").select_option("facilities")
    accept.locator("select[name=accept-responsible_party]").select_option("property")
    accept.locator("textarea[name=accept-note]").fill("转物业维修")
    accept.get_by_role("button", name="受理").click()
    admin.wait_for_load_state()
    assert admin.get_by_text("已受理。").first.is_visible()
    assert admin.locator("#action-publish").count() == 0  # nothing left to approve
    proposal.refresh_from_db()
    assert proposal.live and proposal.status == ProposalStatus.ACCEPTED

    # 3. An anonymous visitor finds it by search and reads it: masked name, no phone number.
    visitor.goto(f"{live_server.url}/garden/proposals/")
    visitor.get_by_label("搜索", exact=True).fill("地砖")
    visitor.get_by_role("button", name="查找").click()
    visitor.get_by_role("link", name="健身区地砖松动").click()
    assert visitor.get_by_role("heading", name="健身区地砖松动").is_visible()
    body = visitor.content()
    assert "周*英" in body and "周桂英" not in body and "13911112222" not in body
    assert visitor.locator(".photos img").count() == 1
    assert visitor.get_by_text("已受理").first.is_visible()
    assert visitor.get_by_text("转物业维修").is_visible()
    width = visitor.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling of the page on a phone
    assert axe_violations(visitor) == []
