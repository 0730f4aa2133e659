"""Chromium: an owners' campaign. The committee opens a printed ballot by its code and enters
it with the slip's photo; a second staff member confirms it; the campaign view follows without
a reload; a canvasser records a door-to-door ballot from a phone."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from deliberation.models import Party, Unit
from tests.factories.base import MemberFactory, UserFactory
from tests.factories.campaign import campaign_estate, campaign_poll
from tests.factories.votes import committee_staff, option_id
from votes import services as vote_services
from votes.campaign import services
from votes.models import BallotChannel, BallotEntry, CampaignUnit, EntryStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "device_scale_factor": 1}


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


def slip(tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "slip.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 160), "white").save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_paper_entry_by_code_confirmed_by_a_second_person(
    live_server, new_context, tmp_path, wagtail_site
) -> None:  # type: ignore[no-untyped-def]
    estate = campaign_estate(2, 3)
    poll = campaign_poll(estate)
    second = committee_staff(estate.community)
    row = CampaignUnit.objects.filter(poll=poll).order_by("unit_id").first()
    desk = signed_in(new_context, live_server, estate.staff, **DESKTOP).new_page()
    desk.set_default_timeout(60_000)  # the shared machine is busy; no timing is asserted
    desk.goto(f"{live_server.url}/admin/campaign/{poll.pk}/entry/")
    desk.fill("#code", f"{row.code[:6]} {row.code[6:]}".lower())
    desk.press("#code", "Enter")
    desk.check("input[name=choice] >> nth=0")
    desk.set_input_files("input[name=evidence]", slip(tmp_path))
    desk.click("form.campaign-entry button[type=submit]")
    desk.wait_for_selector("text=等待另一名工作人员复核后计入")
    entry = BallotEntry.objects.get()
    assert entry.status == EntryStatus.PENDING and entry.entered_by == estate.staff

    view = signed_in(new_context, live_server, second, **DESKTOP).new_page()
    view.set_default_timeout(60_000)
    view.goto(f"{live_server.url}/admin/campaign/{poll.pk}/")
    assert view.text_content("[data-field=hp]") == "0"
    confirm = signed_in(new_context, live_server, second, **DESKTOP).new_page()
    confirm.set_default_timeout(60_000)
    confirm.goto(f"{live_server.url}/admin/campaign/{poll.pk}/entries/")
    confirm.click("button:has-text('核对无误')")
    confirm.wait_for_selector("text=已复核计入")
    # The open campaign view follows by itself (progress.json every few seconds).
    # (a locator assertion: the admin's CSP forbids the eval behind wait_for_function)
    expect(view.locator("[data-field=hp]")).to_have_text("1", timeout=60_000)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.CONFIRMED and entry.decided_by == second


def test_canvasser_records_a_door_ballot_on_a_phone(
    live_server, new_context, tmp_path, wagtail_site
) -> None:  # type: ignore[no-untyped-def]
    estate = campaign_estate(2, 2)
    poll = campaign_poll(estate)
    canvasser = UserFactory()
    MemberFactory(community=estate.community, user=canvasser, party=Party.RESIDENT)
    unit = Unit.objects.filter(building__community=estate.community).order_by("pk").first()
    services.canvasser_assign(poll=poll, user=canvasser, building=unit.building, actor=estate.staff)
    vote_services.ballot_cast(poll=poll, voter=estate.owners[1], choice={"choice": option_id(poll)})
    page = signed_in(new_context, live_server, canvasser).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{live_server.url}/{estate.community.slug}/polls/{poll.pk}/canvass/")
    assert page.locator(".canvass-item").count() == 1  # own building, one owner still to vote
    page.click(".canvass-item")
    page.check("input[name=choice] >> nth=1")
    page.set_input_files("input[name=evidence]", slip(tmp_path))
    page.click("button.big")
    page.wait_for_selector("text=社区工作人员复核后计入")
    entry = BallotEntry.objects.get()
    assert (entry.channel, entry.entered_by) == (BallotChannel.DOOR, canvasser)
    answer = page.goto(f"{live_server.url}/admin/campaign/{poll.pk}/")
    assert "/login/" in page.url or (answer is not None and answer.status in (403, 404))
