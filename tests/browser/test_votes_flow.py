"""Chromium: staff enter paper ballots with the keyboard alone; a resident votes on a phone and
sees the receipt; the result page passes axe."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

from tests.factories.base import CommunityFactory
from tests.factories.votes import (
    committee_staff,
    option_id,
    owners_estate,
    resident_poll,
    residents,
)
from votes import services
from votes.models import Ballot

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


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    results = Axe().run(
        page,
        options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]},
    )
    return [v["id"] for v in results.response["violations"]]


def test_paper_ballots_with_the_keyboard_alone(live_server, new_context) -> None:  # type: ignore[no-untyped-def]
    # A deliberative poll: an owners' decision is entered through the four-eyes campaign entry
    # (tests/browser/test_campaign_flow.py), which the direct screen leads to.
    estate = owners_estate(single_units=3)
    poll = resident_poll(estate.community, actor=estate.staff)
    staff = committee_staff(estate.community)
    page = signed_in(new_context, live_server, staff, **DESKTOP).new_page()
    page.set_default_timeout(60_000)  # the shared test machine is busy; no timing is asserted
    page.goto(f"{live_server.url}/{estate.community.slug}/polls/{poll.pk}/paper/")
    keys = []
    for owner, number in [(estate.owners[0], "1"), (estate.owners[1], "2")]:
        voter = next(v for v in poll.frozen_electorate if owner.pk in v["user_ids"])
        keys.append((voter["key"], number))
        # The search box has the focus: type the name, Enter; then the option number, Enter.
        page.keyboard.type(voter["label"])
        page.keyboard.press("Enter")
        page.wait_for_selector("#choice_number:focus")
        page.keyboard.type(number)
        page.keyboard.press("Enter")
        page.wait_for_selector("#q:focus")
        assert "已录入" in page.locator(".messages").inner_text()
    for key, number in keys:
        ballot = Ballot.objects.get(poll=poll, voter_key=key)
        assert ballot.choice == {"choice": option_id(poll, int(number) - 1)}
        assert ballot.channel == "paper" and ballot.entered_by_id == staff.pk
    assert axe_violations(page) == []


def test_resident_votes_on_a_phone_and_sees_the_receipt(live_server, new_context) -> None:  # type: ignore[no-untyped-def]
    community = CommunityFactory(slug="bench")
    voter, other = residents(community, 2)
    poll = resident_poll(community)
    page = signed_in(new_context, live_server, voter).new_page()
    page.goto(f"{live_server.url}/bench/polls/{poll.pk}/")
    assert axe_violations(page) == []
    page.get_by_label("西侧").check()
    page.get_by_role("button", name="提交选票").click()
    receipt = page.get_by_test_id("receipt").inner_text()
    assert receipt == Ballot.objects.get(poll=poll).receipt
    services.ballot_cast(poll=poll, voter=other, choice={"choice": option_id(poll)})
    services.poll_close(poll=poll, actor=None)
    page.goto(f"{live_server.url}/bench/polls/{poll.pk}/")
    assert page.get_by_test_id("verdict").is_visible()
    assert axe_violations(page) == []
