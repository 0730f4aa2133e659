"""Chromium (issue 15 points 5 and 6): committee staff suspend online voting on a phone, enter a
paper ballot during the outage (four eyes: the slip's photo, a second person confirms), resume,
close, record and answer an objection in the admin; the owner whose paper ballot was entered is
refused online after the resumption."""

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.factories.votes import committee_staff, owners_estate, owners_poll
from votes.models import Ballot, CampaignUnit, PollObjection, PollStatus, PollSuspension

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "device_scale_factor": 1}


def slip(tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "slip.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 160), "white").save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def signed_in(new_context, live_server, user, **options):  # type: ignore[no-untyped-def]
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


def test_outage_paper_entry_resume_close_and_objection(
    live_server, new_context, tmp_path, wagtail_site
) -> None:  # type: ignore[no-untyped-def]
    estate = owners_estate(single_units=3)
    poll = owners_poll(estate, closes_at=timezone.now() + dt.timedelta(days=7))
    staff = committee_staff(estate.community)
    url = f"{live_server.url}/{estate.community.slug}/polls/{poll.pk}/"
    page = signed_in(new_context, live_server, staff).new_page()
    page.set_default_timeout(60_000)  # the shared test machine is busy; no timing is asserted
    page.goto(url)
    page.fill("#pause-reason", "市平台升级维护")
    page.get_by_role("button", name=re.compile("仅暂停网上表决")).click()
    page.wait_for_selector("[data-testid=poll-suspended]")
    assert "市平台升级维护" in page.locator("[data-testid=poll-suspended]").inner_text()
    poll.refresh_from_db()
    assert poll.suspension == PollSuspension.OUTAGE

    # Paper entry goes on during the outage, through the four-eyes entry: opened by the
    # ballot's code, with the signed paper's photo, counted once a second person confirms.
    owner = estate.owners[0]
    voter = next(v for v in poll.frozen_electorate if owner.pk in v["user_ids"])
    desk = signed_in(new_context, live_server, staff, **DESKTOP).new_page()
    desk.set_default_timeout(60_000)
    desk.goto(f"{live_server.url}/admin/campaign/{poll.pk}/entry/")
    code = CampaignUnit.objects.get(poll=poll, voter_key=voter["key"]).code
    desk.fill("#code", code)
    desk.press("#code", "Enter")
    desk.check("input[name=choice] >> nth=0")
    desk.set_input_files("input[name=evidence]", slip(tmp_path))
    desk.click("form.campaign-entry button[type=submit]")
    desk.wait_for_selector("text=等待另一名工作人员复核后计入")
    assert not Ballot.objects.filter(poll=poll).exists()  # pending: counts nowhere yet
    second = signed_in(
        new_context, live_server, committee_staff(estate.community), **DESKTOP
    ).new_page()
    second.set_default_timeout(60_000)
    second.goto(f"{live_server.url}/admin/campaign/{poll.pk}/entries/")
    second.click("button:has-text('核对无误')")
    second.wait_for_selector("text=已复核计入")
    assert Ballot.objects.filter(poll=poll, voter_key=voter["key"], channel="paper").exists()

    page.goto(url)
    page.fill("#resume-reason", "平台已恢复")
    page.get_by_role("button", name="恢复表决").click()
    page.wait_for_selector("[data-testid=pause-form]")
    poll.refresh_from_db()
    assert poll.suspension == PollSuspension.NONE

    # The owner is refused online: the paper ballot already counts (nothing twice).
    owner_page = signed_in(new_context, live_server, owner).new_page()
    owner_page.goto(url)
    assert "提交选票" not in owner_page.content()
    assert Ballot.objects.filter(poll=poll).count() == 1

    page.goto(url)
    page.get_by_role("button", name="截止表决").click()
    page.wait_for_selector("text=登记和答复异议")
    assert "初步结果(公示期)" in page.locator("[data-testid=poll-stage]").inner_text()
    page.get_by_role("link", name="登记和答复异议").click()
    page.fill("#id_objector_name", "王秀英")
    page.fill("#id_unit_label", "1号楼301")
    page.select_option("#id_channel", "phone")
    page.fill("#id_text", "我家的纸质票是否计入?")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_selector("[data-testid=objections-open]")
    page.locator("textarea[name=answer]").fill("已计入第 1 张。")
    page.get_by_role("button", name="保存答复").click()
    page.wait_for_selector("text=答复已保存")
    objection = PollObjection.objects.get(poll=poll)
    assert objection.answer == "已计入第 1 张。" and objection.answered_by_id == staff.pk
    poll.refresh_from_db()
    assert poll.status == PollStatus.CLOSED
