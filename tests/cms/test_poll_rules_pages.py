"""Pages of the declared vote rules: the poll page prints them, a voter changes a ballot where
allowed, an owner checks a receipt, the public ballot list after close (never names)."""

import pytest
from django.urls import reverse

from tests.factories.base import CommunityFactory
from tests.factories.votes import option_id, owners_estate, owners_poll, resident_poll, residents
from votes import services
from votes.models import Ballot, ChangePolicy, Secrecy

pytestmark = pytest.mark.django_db


def url(name, poll):
    return reverse(name, args=[poll.community.slug, poll.pk])


def test_poll_page_prints_the_declared_rules(client):
    community = CommunityFactory()
    residents(community, 1)
    poll = resident_poll(community, change_policy=ChangePolicy.ONCE, public_ballot_list=True)
    html = client.get(url("poll-detail", poll)).content.decode()
    assert "本次表决规则" in html and "截止前可更改一次" in html
    assert "投票后提供回执码" in html and "截止后公布投票清单" in html


def test_voter_changes_ballot_from_the_page_until_close(client):
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    poll = resident_poll(community, change_policy=ChangePolicy.UNTIL_CLOSE)
    client.force_login(voter)
    client.post(url("poll-vote", poll), {"choice": option_id(poll)})
    page = client.get(url("poll-detail", poll)).content.decode()
    assert 'data-testid="changing"' in page and "提交新的选票(改票)" in page
    response = client.post(url("poll-vote", poll), {"choice": option_id(poll, 2)})
    assert response.status_code == 200 and 'data-testid="receipt"' in response.content.decode()
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.choice == {"choice": option_id(poll, 2)} and ballot.version == 2


def test_once_policy_offers_one_change_only(client):
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    poll = resident_poll(community, change_policy=ChangePolicy.ONCE)
    client.force_login(voter)
    client.post(url("poll-vote", poll), {"choice": option_id(poll)})
    assert "改票一次" in client.get(url("poll-detail", poll)).content.decode()
    client.post(url("poll-vote", poll), {"choice": option_id(poll, 1)})
    page = client.get(url("poll-detail", poll)).content.decode()
    assert "提交新的选票" not in page and 'data-testid="voted"' in page


def test_never_policy_shows_no_change_form(client):
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    poll = resident_poll(community)
    client.force_login(voter)
    client.post(url("poll-vote", poll), {"choice": option_id(poll)})
    page = client.get(url("poll-detail", poll)).content.decode()
    assert "提交选票" not in page and "已经投过票" in page


def test_receipt_check_counted_superseded_unknown_and_malformed(client):
    community = CommunityFactory()
    voters = residents(community, 2)
    poll = resident_poll(community, change_policy=ChangePolicy.ONCE)
    first = services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    second = services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll, 1)})
    other = services.ballot_cast(poll=poll, voter=voters[1], choice={"choice": option_id(poll)})
    page = client.get(url("poll-receipt-check", poll), {"code": second.receipt.lower()})
    html = page.content.decode()
    assert "这张选票已计入" in html and "第 2 版" in html
    assert other.receipt not in html and str(voters[0]) not in html
    html = client.get(url("poll-receipt-check", poll), {"code": first.receipt}).content.decode()
    assert "已被之后的改票替换" in html and "计入的是第 2 版" in html
    html = client.get(url("poll-receipt-check", poll), {"code": "AAAA-AAAA-AAAA-AAAA"}).content
    assert "没有找到这个回执码" in html.decode()
    bad = client.get(url("poll-receipt-check", poll), {"code": "12"})
    assert bad.status_code == 400 and "格式不对" in bad.content.decode()


def test_receipt_check_absent_when_receipts_are_off(client):
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    poll = resident_poll(community, receipts_enabled=False)
    client.force_login(voter)
    response = client.post(url("poll-vote", poll), {"choice": option_id(poll)})
    assert 'data-testid="receipt"' not in response.content.decode()
    assert "不提供回执码" in response.content.decode()
    page = client.get(url("poll-receipt-check", poll), {"code": "AAAA-AAAA-AAAA-AAAA"})
    assert 'data-testid="unavailable"' in page.content.decode()
    assert "receipt-result" not in page.content.decode()


def owners_closed(units, **kwargs):
    estate = owners_estate(single_units=units)
    poll = owners_poll(estate, public_ballot_list=True, **kwargs)
    for index, owner in enumerate(estate.owners):
        services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll, index % 2)})
    return estate, services.poll_close(poll=poll, actor=estate.staff)


def test_public_ballot_list_of_named_poll_shows_units_area_choice_never_names(client):
    estate, poll = owners_closed(4)
    response = client.get(url("poll-ballots", poll))
    html = response.content.decode()
    assert response.status_code == 200
    for owner in estate.owners:
        assert str(owner) not in html and owner.display_name not in html
    for voter in poll.frozen_electorate:
        if any(u in voter["user_ids"] for u in (o.pk for o in estate.owners)):
            assert voter["units"][0]["label"] in html
    assert "赞成" in html and "反对" in html and "80.00" in html


def test_public_ballot_list_of_secret_poll_has_no_choice(client):
    community = CommunityFactory()
    voters = residents(community, 3)
    poll = resident_poll(community, secrecy=Secrecy.SECRET, public_ballot_list=True)
    for voter in voters:
        services.ballot_cast(poll=poll, voter=voter, choice={"choice": option_id(poll)})
    poll = services.poll_close(poll=poll, actor=None)
    html = client.get(url("poll-ballots", poll)).content.decode()
    assert "选择" not in html.split('data-testid="ballot-list"')[1]
    assert "东侧" not in html.split('data-testid="ballot-list"')[1]
    for voter in voters:
        assert str(voter) not in html


def test_ballot_list_only_after_close_and_when_declared(client):
    estate = owners_estate(single_units=2)
    open_poll = owners_poll(estate, public_ballot_list=True)
    yes = {"choice": option_id(open_poll)}
    services.ballot_cast(poll=open_poll, voter=estate.owners[0], choice=yes)
    html = client.get(url("poll-ballots", open_poll)).content.decode()
    assert "截止后公布投票清单" in html and "ballot-list" not in html
    undeclared = services.poll_close(poll=owners_poll(estate), actor=estate.staff)
    html = client.get(url("poll-ballots", undeclared)).content.decode()
    assert "不公布投票清单" in html and "ballot-list" not in html


@pytest.mark.parametrize("units", [3, 30])
def test_ballot_list_query_budget(client, django_assert_max_num_queries, units):
    _estate, poll = owners_closed(units)
    with django_assert_max_num_queries(8):
        assert client.get(url("poll-ballots", poll)).status_code == 200
