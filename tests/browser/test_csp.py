"""In Chromium, the Content-Security-Policy blocks nothing the site itself needs: the public and
meeting pages, and Wagtail's admin (its inline scripts included) load with no violation.

The live websocket under the policy is exercised end to end by test_live_meeting.py (daphne);
here the pages are served by the WSGI live server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page

from tests.factories.base import UserFactory
from tests.factories.meetings import meeting_scene
from tests.factories.proposals import published, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(new_context: Callable[..., BrowserContext], live_server: Any, user: Any) -> Page:
    client = Client()
    client.force_login(user)
    context = new_context(viewport={"width": 1280, "height": 900}, is_mobile=False)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


def violations_on(page: Page, url: str) -> list[str]:
    """Load ``url`` and return the policy violations the page reported."""
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert response.headers.get("content-security-policy")
    page.wait_for_load_state("networkidle")
    return list(page.evaluate("window.__csp"))


def test_public_and_meeting_pages_load_without_violations(
    live_server: Any, new_context: Callable[..., BrowserContext], wagtail_site: Any
) -> None:
    scene = meeting_scene(open_meeting=True)
    proposal = published(scene.community, photos=[upload()])
    args = [scene.community.slug, scene.meeting.pk]
    page = new_context().new_page()
    for url in (
        "/",
        reverse("proposal-detail", args=[scene.community.slug, proposal.pk]),
        reverse("meeting-live", args=args),
        reverse("meeting-projector", args=args),
    ):
        assert violations_on(page, live_server.url + url) == [], url
    # The photo came through the checked media view and rendered.
    page.goto(
        live_server.url + reverse("proposal-detail", args=[scene.community.slug, proposal.pk])
    )
    width = page.eval_on_selector(".photos img", "img => img.naturalWidth")
    assert width > 0
    console = signed_in(new_context, live_server, scene.facilitator)
    assert violations_on(console, live_server.url + reverse("meeting-console", args=args)) == []


def test_wagtail_admin_runs_its_scripts_without_violations(
    live_server: Any, new_context: Callable[..., BrowserContext], wagtail_site: Any
) -> None:
    page = signed_in(new_context, live_server, UserFactory(is_superuser=True, is_staff=True))
    for url in (
        "/admin/",
        reverse("wagtailsnippets_deliberation_proposal:list"),
        reverse("wagtailsnippets_votes_poll:add"),  # date pickers: Wagtail's inline scripts
        reverse("wagtailadmin_pages:edit", args=[wagtail_site.pk]),
    ):
        assert violations_on(page, live_server.url + url) == [], url
        # Wagtail's own scripts ran: the sidebar is built by JavaScript.
        page.wait_for_selector("[data-wagtail-sidebar] nav, .sidebar", state="attached")
