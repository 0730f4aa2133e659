"""A resident signs in with phone and code on a phone-sized screen; the pages pass axe-core."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from deliberation.accounts.senders import ConsoleSender
from tests.factories.base import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]
    ]


def test_resident_signs_in_with_a_code(live_server, page: Page) -> None:
    ConsoleSender.outbox.clear()
    page.goto(live_server.url + "/accounts/login/?next=/accounts/login/")
    assert axe_violations(page) == []
    page.get_by_label("手机号").fill("139 1234 5678")
    button = page.get_by_role("button", name="获取验证码")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    button.click()
    page.wait_for_url("**/accounts/code/verify/")
    assert page.get_by_text("139****5678").first.is_visible()
    assert axe_violations(page) == []
    code = ConsoleSender.outbox[-1].code
    page.get_by_label("验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().startswith("验证码不正确")
    assert axe_violations(page) == []
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_staff_sign_in_with_password(live_server, page: Page) -> None:
    UserFactory(username="chen", is_staff=True)
    page.goto(live_server.url + "/accounts/login/?next=/accounts/login/")
    page.get_by_label("用户名").fill("chen")
    page.locator("#id_password").fill("wrong")
    page.get_by_role("button", name="登录", exact=True).click()
    assert "用户名或密码不正确" in page.get_by_role("alert").inner_text()
    page.locator("#id_password").fill("sifang-test-pass")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
