"""Dispatch on a phone: the committee sends a matter to the water company in the admin; the
water company's staff member claims it by name, reports progress and completes it, and returns
another matter with a reason; a late claim is refused with a clear message. Screenshots of each
step go to ``test-artifacts/dispatch/`` (issue 14 points 3 and 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page

from deliberation.dispatch import services as svc
from deliberation.models import Dispatch, Notification, NotificationKind, UnitKind
from deliberation.proposals.services import proposal_publish, proposal_submit
from tests.factories.base import CommunityFactory, MemberFactory
from tests.factories.dispatch import ResponsibleUnitFactory, unit_staff
from tests.factories.proposals import staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dispatch"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]})
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]
    ]


def sign_in(page: Page, base: str, login_path: str, username: str) -> None:
    page.goto(base + login_path)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("sifang-test-pass")
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture
def scene():
    call_command("ensure_roles")
    community = CommunityFactory(slug="minzhu-dispatch", name="民主村社区")
    committee = staff(community, user__username="committee-d", user__display_name="陈丽华").user
    author = MemberFactory(community=community)
    water = ResponsibleUnitFactory(name="市自来水公司", kind=UnitKind.WATER, serves=[community])
    city = ResponsibleUnitFactory(
        name="城管中队", kind=UnitKind.CITY_MANAGEMENT, serves=[community]
    )
    water_user = unit_staff(water, username="unit-water", display_name="孙海燕")

    def matter(title: str) -> object:
        proposal = proposal_submit(
            community=community,
            author=author,
            title=title,
            body="请尽快处理。",
            category="facilities",
        )
        return proposal_publish(proposal=proposal, actor=committee)

    leak = matter("3号楼地下室水管漏水")
    stall = matter("小区门口占道经营")
    svc.dispatch_create(proposal=stall, unit=water, actor=committee)
    late = matter("东门水压低")
    svc.dispatch_create(
        proposal=late, unit=water, actor=committee, now=timezone.now() - dt.timedelta(hours=30)
    )
    return {"leak": leak, "water": water, "city": city, "water_user": water_user, "author": author}


def test_dispatch_claim_feedback_return_on_a_phone(live_server, new_context, scene) -> None:
    base = live_server.url
    # --- the committee, on a phone, in the admin ---
    committee = new_context().new_page()
    sign_in(committee, base, "/admin/login/", "committee-d")
    committee.goto(f"{base}/admin/dispatch/proposal/{scene['leak'].pk}/")
    committee.get_by_label("责任单位").select_option(label="市自来水公司(供水)")
    committee.locator("#id_note").fill("地下室积水,请今天派人查看。")
    shot(committee, "01-committee-dispatch-form")
    committee.get_by_role("button", name="派件", exact=True).click()
    committee.wait_for_load_state()
    assert committee.get_by_text("已派件,责任单位会收到通知。").is_visible()
    shot(committee, "02-committee-dispatched")
    committee.goto(f"{base}/admin/dispatch/")
    assert committee.locator(".dispatch-overdue").count() == 1  # 东门水压低: not claimed in time
    shot(committee, "03-committee-list")

    # --- the water company's staff member, on a phone ---
    page = new_context().new_page()
    sign_in(page, base, "/accounts/login/", "unit-water")
    page.goto(f"{base}/units/queue/")
    assert page.get_by_role("heading", name="待办派件").is_visible()
    cards = page.locator(".dispatch-card")
    assert cards.count() == 3
    assert page.locator(".dispatch-card.is-overdue").count() == 1
    assert axe_violations(page) == []
    shot(page, "04-unit-queue")

    # a late claim: refused, with the reason
    page.locator(".dispatch-card.is-overdue").get_by_role("link", name="查看与办理").click()
    page.get_by_role("button", name="我来认领").click()
    assert page.get_by_text("已超过认领期限").is_visible()
    shot(page, "05-unit-late-claim-refused")

    # claim the new one by name, report progress, complete
    page.goto(f"{base}/units/queue/")
    page.locator(".dispatch-card", has_text="3号楼地下室水管漏水").get_by_role(
        "link", name="查看与办理"
    ).click()
    button = page.get_by_role("button", name="我来认领")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    shot(page, "06-unit-dispatch-detail")
    button.click()
    assert page.get_by_text("已认领,请在反馈期限内报告办理进展。").is_visible()
    page.get_by_label("办理进展").fill("维修班组已到现场,正在关阀排水。")
    page.get_by_role("button", name="提交进展").click()
    assert page.get_by_text("进展已反馈").is_visible()
    page.get_by_label("办结情况").fill("已更换破损水管,恢复正常。")
    page.get_by_role("button", name="报告办结").click()
    assert page.get_by_text("已办结,提出人会收到通知。").is_visible()
    assert page.get_by_text("孙海燕").first.is_visible()
    assert axe_violations(page) == []
    shot(page, "07-unit-completed-timeline")

    # return the one that is not the water company's, with a reason
    page.goto(f"{base}/units/queue/")
    page.locator(".dispatch-card", has_text="小区门口占道经营").get_by_role(
        "link", name="查看与办理"
    ).click()
    page.get_by_role("button", name="退回派件方").click()  # no reason: refused, nothing lost
    page.get_by_label("退件理由").fill("占道经营属城管职责,建议派城管中队。")
    page.get_by_role("button", name="退回派件方").click()
    assert page.get_by_text("已退件,派件方将重新派件。").is_visible()
    shot(page, "08-unit-returned")

    leak = Dispatch.objects.get(proposal=scene["leak"])
    assert (leak.status, leak.claimed_by) == ("completed", scene["water_user"])
    author_kinds = set(
        Notification.objects.filter(recipient=scene["author"].user).values_list("kind", flat=True)
    )
    assert {NotificationKind.DISPATCH_CLAIMED, NotificationKind.DISPATCH_FEEDBACK} <= author_kinds
    assert Dispatch.objects.filter(status="returned").count() == 1
