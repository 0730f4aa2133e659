"""axe-core finds no violation on the home page, in the standard and the elder mode."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live_server):  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    return live_server


def computed(page: Page, selector: str, prop: str) -> float:
    value = page.eval_on_selector(
        selector, f"el => getComputedStyle(el).getPropertyValue('{prop}')"
    )
    return float(value.removesuffix("px"))


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]
    ]


def test_home_standard_mode_is_accessible(demo, page: Page) -> None:
    page.goto(demo.url + "/")
    assert page.get_by_role("heading", name="民主村社区").is_visible()
    assert computed(page, "body", "font-size") >= 18
    toggle = page.get_by_role("button", name="长辈版 / 大字")
    assert toggle.is_visible()
    box = toggle.bounding_box()
    assert box is not None and box["height"] >= 44
    assert axe_violations(page) == []


def test_elder_mode_applies_miit_numbers_and_persists(demo, page: Page) -> None:
    page.goto(demo.url + "/")
    page.get_by_role("button", name="长辈版 / 大字").click()
    page.wait_for_url(demo.url + "/")
    assert page.locator("html.elder").count() == 1
    size = computed(page, "body", "font-size")
    assert size >= 24
    assert computed(page, "body", "line-height") / size >= 1.3
    for button in page.locator("button, .button").all():
        if button.is_visible():
            box = button.bounding_box()
            assert box is not None and box["height"] >= 60, button.inner_text()
    # The choice persists across visits.
    page.goto(demo.url + "/")
    assert page.locator("html.elder").count() == 1
    assert axe_violations(page) == []


def test_home_reads_without_javascript(demo, new_context) -> None:  # type: ignore[no-untyped-def]
    page = new_context(java_script_enabled=False).new_page()
    page.goto(demo.url + "/")
    assert page.get_by_text("民主村社区").first.is_visible()
    page.get_by_role("button", name="长辈版 / 大字").click()
    assert page.locator("html.elder").count() == 1
