"""Navigation (issue 13 point 1): the community home, the header's links, routing order, the
custom error pages, and a crawl of every same-site link from ``/`` on the demo data."""

import datetime as dt
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone
from django.views.defaults import server_error

from deliberation.models import Party, User
from meetings.models import Meeting
from tests.factories.base import CommunityFactory, MemberFactory
from tests.factories.proposals import ProposalFactory, resident, submitted
from tests.factories.resolutions import DecidedProposalFactory, ResolutionFactory
from votes.models import Electorate, Kind, Method, Poll, PollStatus, Rule

pytestmark = pytest.mark.django_db

SECTIONS = [
    "community-home",
    "proposal-list",
    "meeting-list",
    "poll-list",
    "notice-list",
    "resolution-list",
    "resolution-metrics",
]


class Links(HTMLParser):
    """Every ``<a href>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


def build_world(community, *, size: int) -> None:  # type: ignore[no-untyped-def]
    """``size`` of everything the community home lists: open matters, meetings, open polls,
    resolutions (notices are covered by the crawl on the demo data)."""
    facilitator = MemberFactory(community=community, party=Party.COMMITTEE).user
    soon = timezone.now() + dt.timedelta(days=3)
    for index in range(size):
        ProposalFactory(community=community, title=f"公开议题{index}")
        Meeting.objects.create(
            community=community,
            title=f"议事会{index}",
            starts_at=soon + dt.timedelta(hours=index),
            place="社区活动室",
            facilitator=facilitator,
        )
        Poll.objects.create(
            community=community,
            question=f"表决{index}",
            kind=Kind.DELIBERATIVE,
            electorate=Electorate.RESIDENTS,
            method=Method.SINGLE,
            rule=Rule.PLURALITY,
            status=PollStatus.OPEN,
        )
        ResolutionFactory(
            proposal=DecidedProposalFactory(community=community, title=f"决议议题{index}")
        )


# --- the community home ---------------------------------------------------------------------------


def test_community_home_shows_each_section_and_links_to_it(client: Client) -> None:
    community = CommunityFactory(slug="minzhucun", name="民主村社区")
    build_world(community, size=2)
    hidden = submitted(community, title="尚未审核的议题")
    response = client.get(reverse("community-home", args=["minzhucun"]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("民主村社区", "公开议题0", "议事会0", "表决0", "决议议题0", "响应率"):
        assert text in html, text
    assert hidden.title not in html
    hrefs = links(html)
    for name in SECTIONS:
        assert reverse(name, args=["minzhucun"]) in hrefs, name


def test_unknown_community_is_a_plain_404_page(client: Client) -> None:
    response = client.get("/no-such-place/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert "Traceback" not in html and "Page not found" not in html and "URLconf" not in html
    assert 'href="/"' in html
    assert 'aria-current="page"' not in html  # an error page is none of the sections


def test_server_error_page_is_the_sites_own_and_standalone(rf) -> None:  # type: ignore[no-untyped-def]
    """500.html renders without a request context (Django passes none) and shows no detail."""
    response = server_error(rf.get("/minzhucun/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务暂时出错" in html and 'href="/"' in html
    assert "Traceback" not in html and "Server Error" not in html


def test_community_home_query_count_is_flat(client: Client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    small = CommunityFactory()
    large = CommunityFactory()
    build_world(small, size=1)
    build_world(large, size=12)
    for community in (small, large):
        with django_assert_max_num_queries(12):
            assert client.get(reverse("community-home", args=[community.slug])).status_code == 200


# --- the header --------------------------------------------------------------------------------


def test_header_links_every_section_of_the_page_community(client: Client) -> None:
    community = CommunityFactory()
    CommunityFactory()  # a second community: the header follows the page, not "the only one"
    for name in ("proposal-list", "resolution-metrics", "notice-list"):
        hrefs = links(client.get(reverse(name, args=[community.slug])).content.decode())
        for section in SECTIONS:
            assert reverse(section, args=[community.slug]) in hrefs, (name, section)
        assert reverse("my-matters") not in hrefs  # anonymous


def test_header_for_a_signed_in_resident_links_my_matters_and_their_community(
    client: Client,
) -> None:
    mine = CommunityFactory()
    CommunityFactory()
    member = resident(mine)
    client.force_login(member.user)
    hrefs = links(client.get("/").content.decode())
    assert reverse("my-matters") in hrefs
    assert reverse("community-home", args=[mine.slug]) in hrefs
    assert reverse("wagtailadmin_home") not in hrefs  # residents have no admin


def test_site_home_links_each_community_home(client: Client, wagtail_site) -> None:  # type: ignore[no-untyped-def]
    first, second = CommunityFactory(), CommunityFactory()
    hrefs = links(client.get("/").content.decode())
    for community in (first, second):
        assert reverse("community-home", args=[community.slug]) in hrefs


def test_fixed_routes_are_not_taken_for_a_community() -> None:
    """``/<community>/`` comes after every fixed top-level route."""
    assert resolve("/mine/").url_name == "my-matters"
    assert resolve("/elder-mode/").url_name == "elder-mode"
    assert resolve("/accounts/login/").url_name == "login"
    assert resolve("/admin/").url_name == "wagtailadmin_home"
    assert resolve("/inbox/").url_name != "community-home"
    assert resolve("/minzhucun/").url_name == "community-home"
    assert resolve("/minzhucun/proposals/").url_name == "proposal-list"


# --- the crawl ---------------------------------------------------------------------------------

SKIP_PREFIXES = ("/admin/", "/static/", "/api/docs")


def crawl(client: Client, *, start: str = "/", limit: int = 600) -> dict[str, int]:
    """Breadth-first over every same-site ``<a href>`` reachable from ``start``: URL → status."""
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code in (301, 302):
            target = urlsplit(response["Location"])
            if not target.netloc or target.netloc == "testserver":
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in links(response.content.decode()):
            absolute = urlsplit(urljoin("http://testserver" + url, href))
            if absolute.scheme not in ("http", "https") or absolute.netloc != "testserver":
                continue
            path = absolute.path + (f"?{absolute.query}" if absolute.query else "")
            if path.startswith(SKIP_PREFIXES) or path in seen:
                continue
            queue.append(path)
    return seen


@pytest.mark.django_db(transaction=True)
def test_every_link_from_the_home_page_works_for_anonymous_a_resident_and_staff(
    wagtail_site,  # type: ignore[no-untyped-def]
) -> None:
    call_command("seed_demo")
    for who in (None, "resident-rep", "committee"):
        client = Client()
        if who is not None:
            client.force_login(User.objects.get(username=who))
        seen = crawl(client)
        broken = {url: status for url, status in seen.items() if status >= 400}
        assert broken == {}, (who, broken)
        print(who, len(seen), sorted(seen))  # shown with -s
        assert len(seen) > 40, seen
        visited = set(seen)
        for name in SECTIONS:
            assert reverse(name, args=["minzhucun"]) in visited, (who, name)
        # Something of each kind is reached: a matter, a meeting, a poll, a resolution.
        for prefix in ("proposals/", "meetings/", "polls/", "resolutions/"):
            assert any(
                url.startswith(f"/minzhucun/{prefix}") and url.rstrip("/")[-1].isdigit()
                for url in visited
            ), (who, prefix)
        if who is not None:
            assert reverse("my-matters") in visited
