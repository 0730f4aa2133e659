"""Phone and elder layout (issue 13 point 11): on the demo's public pages and a ballot page, at
390 px and 1280 px, standard and 长辈版: nothing scrolls sideways, options stack on a phone and
in elder mode, tables reflow, charts follow the text and fit, every link and control is 60 px
tall in elder mode (MIIT), and axe-core finds no violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page

from deliberation.models import Community, Proposal, Resolution
from tests.browser.test_votes_flow import signed_in
from tests.factories.votes import resident_poll, residents
from votes.models import Kind, Poll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False}

# One script measures everything the layout promises; it returns lists of offenders.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.bottom < 0 || r.right < 0) return null;
    const st = getComputedStyle(el);
    return st.visibility === 'hidden' ? null : r;
  };
  const name = (el) => (el.tagName + ' ' + (el.innerText || el.value || el.name || '')
    .trim().slice(0, 30));
  const wide = [];
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    const r = visible(el);
    if (r && r.right > width + 1) wide.push(name(el) + ' right=' + Math.round(r.right));
  }
  const small = [];
  for (const el of document.querySelectorAll(
      'a, button, select, textarea, summary, input:not([type=hidden])')) {
    let target = el;
    if (el.type === 'radio' || el.type === 'checkbox') target = el.closest('label') || el;
    const r = visible(target);
    if (r && r.height < 59.5) small.push(name(target) + ' h=' + Math.round(r.height));
  }
  const options = [...document.querySelectorAll('.option, .options > *')]
    .map((el) => Math.round(el.getBoundingClientRect().left));
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  const charts = [...document.querySelectorAll('.bar-chart')].map((el) => ({
    right: el.getBoundingClientRect().right,
    label: parseFloat(getComputedStyle(el.querySelector('.bar-label')).fontSize),
  }));
  return {overflow: document.documentElement.scrollWidth - width, wide, small, options, body,
          charts};
}"""


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def public_paths() -> list[str]:
    community = Community.objects.get(slug="minzhucun")
    slug = community.slug
    with_options = Proposal.objects.filter(community=community, options__isnull=False).first()
    owners_poll = Poll.objects.filter(community=community, kind=Kind.OWNERS).first()
    resolution = Resolution.objects.filter(proposal__community=community).first()
    assert with_options and owners_poll and resolution, (
        "the demo lost its proposal, poll or resolution"
    )
    return [
        "/",
        reverse("proposal-list", args=[slug]),
        reverse("proposal-detail", args=[slug, with_options.pk]),
        reverse("poll-list", args=[slug]),
        reverse("poll-detail", args=[slug, owners_poll.pk]),
        reverse("poll-chain", args=[slug, owners_poll.pk]),
        reverse("resolution-list", args=[slug]),
        reverse("resolution-detail", args=[slug, resolution.pk]),
        reverse("resolution-metrics", args=[slug]),
        reverse("meeting-list", args=[slug]),
        reverse("notice-list", args=[slug]),
    ]


def check_page(page: Page, url: str, *, narrow: bool, elder: bool) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    m = page.evaluate(MEASURE)
    where = f"{url} ({'390' if narrow else '1280'} px{', elder' if elder else ''})"
    problems = []
    if m["overflow"] > 0 or m["wide"]:
        problems.append(f"{where}: scrolls sideways by {m['overflow']} px: {m['wide'][:4]}")
    if elder and m["small"]:
        problems.append(f"{where}: targets under 60 px: {m['small'][:6]}")
    if (narrow or elder) and len(set(m["options"])) > 1:
        problems.append(f"{where}: options side by side at x={m['options']}")
    for chart in m["charts"]:
        if chart["right"] > page.viewport_size["width"] + 1:
            problems.append(f"{where}: a chart is wider than the screen")
        if chart["label"] < m["body"] - 0.5:
            problems.append(f"{where}: chart text {chart['label']} px under the body's {m['body']}")
    problems += [f"{where}: axe {v}" for v in axe_violations(page)]
    return problems


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("narrow", [True, False], ids=["390px", "1280px"])
def test_public_pages_fit_phones_and_elders(live_server, new_context, narrow, elder) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    page = new_context(**(PHONE if narrow else DESKTOP)).new_page()
    if elder:
        page.goto(live_server.url + "/")
        page.get_by_role("button", name="长辈版 / 大字").click()
        page.wait_for_load_state()
        assert page.locator("html.elder").count() == 1
    problems: list[str] = []
    for path in public_paths():
        problems += check_page(page, live_server.url + path, narrow=narrow, elder=elder)
    assert problems == []


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_ballot_page_stacks_options_on_a_phone(live_server, new_context, elder) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.base import CommunityFactory

    community = CommunityFactory(slug="layout")
    (voter,) = residents(community, 1)
    poll = resident_poll(community)
    page = signed_in(new_context, live_server, voter, **PHONE).new_page()
    if elder:
        page.goto(live_server.url + "/")
        page.get_by_role("button", name="长辈版 / 大字").click()
        page.wait_for_load_state()
    url = live_server.url + reverse("poll-detail", args=[community.slug, poll.pk])
    problems = check_page(page, url, narrow=True, elder=elder)
    radios = page.locator("input[type=radio]")
    assert radios.count() >= 2
    lefts = {round(radios.nth(i).bounding_box()["x"]) for i in range(radios.count())}
    assert len(lefts) == 1, f"choices side by side at {lefts}"
    assert problems == []
