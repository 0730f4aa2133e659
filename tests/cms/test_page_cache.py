"""The public pages' cache (cms/page_cache.py, issue 16 point 1): a page is served from the cache
until the data behind it changes, and never shows data older than its last change; it is never
served to another session, language or large-type setting; its CSRF token is the visitor's own."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cms import page_cache
from deliberation.models import Proposal
from deliberation.proposals.services import proposal_second
from tests.factories.base import CommunityFactory
from tests.factories.proposals import published, resident, submitted
from tests.factories.votes import option_id, resident_poll, residents
from votes.services import CastRequest, ballots_cast_batch

pytestmark = pytest.mark.django_db

HEADER = page_cache.HEADER


@pytest.fixture(autouse=True)
def page_cache_on(settings):  # type: ignore[no-untyped-def]
    settings.SIFANG_PAGE_CACHE = True
    cache.clear()
    yield
    cache.clear()


def listing(proposal: Proposal) -> str:
    return reverse("proposal-list", args=[proposal.community.slug])


def detail(proposal: Proposal) -> str:
    return reverse("proposal-detail", args=[proposal.community.slug, proposal.pk])


def test_a_second_request_is_served_from_the_cache(client: Client) -> None:
    proposal = published(title="东门加装雨棚")
    first = client.get(listing(proposal))
    second = client.get(listing(proposal))
    assert first[HEADER] == "miss"
    assert second[HEADER] == "hit"
    assert "东门加装雨棚" in second.content.decode()


def test_a_write_through_a_service_shows_on_the_next_request(client: Client) -> None:
    proposal = published(title="东门加装雨棚")
    community = proposal.community
    client.get(listing(proposal))
    assert client.get(listing(proposal))[HEADER] == "hit"
    published(community, title="西门路灯不亮")
    response = client.get(listing(proposal))
    assert response[HEADER] == "miss"
    assert "西门路灯不亮" in response.content.decode()


def test_a_bulk_update_outside_the_services_shows_on_the_next_request(client: Client) -> None:
    proposal = published(title="东门加装雨棚")
    client.get(detail(proposal))
    assert client.get(detail(proposal))[HEADER] == "hit"
    Proposal.objects.filter(pk=proposal.pk).update(title="东门加装遮阳棚")
    html = client.get(detail(proposal)).content.decode()
    assert "东门加装遮阳棚" in html
    assert "东门加装雨棚" not in html


def test_a_seconding_shows_on_the_proposal_page_at_once(client: Client) -> None:
    proposal = published(title="东门加装雨棚")
    neighbour = resident(proposal.community)
    before = client.get(detail(proposal)).content.decode()
    proposal_second(proposal=proposal, user=neighbour.user)
    after = client.get(detail(proposal))
    assert after[HEADER] == "miss"
    assert after.content.decode() != before


def test_a_transaction_moves_the_version_after_commit_and_its_writer_sees_it_before(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    start = page_cache.data_version()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        community = CommunityFactory()
        community.save()
        # Nobody else can see the write before the commit: the version has not moved yet ...
        assert cache.get(page_cache.VERSION_KEY) == start
        during = page_cache.data_version()  # ... but the writer's own look-up moves it first
        community.save()  # a further write after that look-up ...
        community.save()
        assert page_cache.data_version() == during + 1  # ... shows to the writer again
    assert start + 1 == during
    assert page_cache.data_version() == during + 2  # and to everyone after the commit


@pytest.mark.django_db(transaction=True)  # the batch's own transaction commits
def test_a_batch_of_ballots_moves_the_version_once_and_shows_on_the_voters_poll_page(
    client: Client,
) -> None:
    community = CommunityFactory()
    voters = residents(community, 3)
    poll = resident_poll(community)
    url = reverse("poll-detail", args=[community.slug, poll.pk])
    client.force_login(voters[0])
    client.get(url)  # sets the CSRF cookie: not stored
    client.get(url)
    before = client.get(url)
    assert before[HEADER] == "hit"
    assert 'data-testid="voted"' not in before.content.decode()
    start = cache.get(page_cache.VERSION_KEY)
    outcomes = ballots_cast_batch(
        [
            CastRequest(poll_id=poll.pk, choice={"choice": option_id(poll, i % 2)}, voter_id=v.pk)
            for i, v in enumerate(voters)
        ]
    )
    assert all(outcome.receipt for outcome in outcomes)
    # One increment for the whole batch, after its commit (none while it held the poll's lock).
    assert cache.get(page_cache.VERSION_KEY) == start + 1
    after = client.get(url)
    assert after[HEADER] == "miss"
    assert 'data-testid="voted"' in after.content.decode()


def test_sessions_sign_in_locks_and_tasks_do_not_empty_the_cache() -> None:
    assert not page_cache._is_page_write('UPDATE "django_session" SET "expire_date" = 1')
    assert not page_cache._is_page_write('INSERT INTO "axes_accessattempt" ("a") VALUES (1)')
    assert page_cache._is_page_write('UPDATE "deliberation_proposal" SET "title" = 1')
    assert page_cache._is_page_write('DELETE FROM "votes_ballot" WHERE 1')
    assert not page_cache._is_page_write('SELECT * FROM "deliberation_proposal"')


def test_the_cache_is_keyed_on_the_minute(client: Client) -> None:
    proposal = published()
    client.get(listing(proposal))
    assert client.get(listing(proposal))[HEADER] == "hit"
    later = timezone.now() + timedelta(seconds=61)
    with mock.patch("cms.page_cache.timezone.now", return_value=later):
        assert client.get(listing(proposal))[HEADER] == "miss"


def test_language_and_large_type_get_their_own_copy(client: Client) -> None:
    proposal = published()
    chinese = client.get(listing(proposal)).content.decode()
    english = client.get(listing(proposal), headers={"accept-language": "en"})
    assert english[HEADER] == "miss"
    assert english.content.decode() != chinese
    client.cookies["sifang_elder"] = "1"
    elder = client.get(listing(proposal))
    assert elder[HEADER] == "miss"
    assert 'class="elder"' in elder.content.decode()


def test_a_signed_in_page_is_never_served_to_another_session() -> None:
    community = CommunityFactory()
    me, neighbour = resident(community), resident(community)
    submitted(community, author=me, title="我的楼道灯坏了")
    submitted(community, author=neighbour, title="邻居家门口积水")
    mine, theirs = Client(), Client()
    mine.force_login(me.user)
    theirs.force_login(neighbour.user)
    mine.get(reverse("my-matters"))
    assert mine.get(reverse("my-matters"))[HEADER] == "hit"
    html = theirs.get(reverse("my-matters")).content.decode()
    assert "邻居家门口积水" in html
    assert "我的楼道灯坏了" not in html


def test_a_cached_page_carries_the_visitors_own_working_csrf_token() -> None:
    proposal = published()
    Client().get(listing(proposal))  # fills the cache
    visitor = Client(enforce_csrf_checks=True)
    response = visitor.get(listing(proposal))
    assert response[HEADER] == "hit"
    html = response.content.decode()
    assert "sifang-csrf-token" not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', html)
    assert token is not None
    posted = visitor.post(
        reverse("elder-mode"),
        {"csrfmiddlewaretoken": token.group(1), "enable": "1", "next": "/"},
    )
    assert posted.status_code == 302


def test_a_page_with_a_flash_message_is_not_cached(client: Client) -> None:
    proposal = published()
    me = resident(proposal.community)
    client.force_login(me.user)
    # Seconding leaves a message for the next page.
    client.post(reverse("proposal-second", args=[proposal.community.slug, proposal.pk]))
    shown = client.get(detail(proposal))
    assert HEADER not in shown
    assert client.get(detail(proposal))[HEADER] == "miss"


def test_off_means_off(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SIFANG_PAGE_CACHE = False
    proposal = published()
    client.get(listing(proposal))
    assert HEADER not in client.get(listing(proposal))


def test_every_connection_watches_writes() -> None:
    connection.ensure_connection()
    assert page_cache.watch_writes in connection.execute_wrappers


def test_an_unreachable_cache_fails_no_write_and_no_page(client: Client) -> None:
    proposal = published(title="东门加装雨棚")
    broken = mock.patch.object(cache, "incr", side_effect=ConnectionError("cache down"))
    with broken:
        Proposal.objects.filter(pk=proposal.pk).update(title="东门加装遮阳棚")
    assert Proposal.objects.get(pk=proposal.pk).title == "东门加装遮阳棚"
    with mock.patch.object(cache, "get", side_effect=ConnectionError("cache down")):
        response = client.get(detail(proposal))
    assert response.status_code == 200
    assert "东门加装遮阳棚" in response.content.decode()
