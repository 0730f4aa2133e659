"""Public poll pages: result, vote form and receipt, staff paper screen, actions, export."""

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.factories.base import CommunityFactory
from tests.factories.votes import (
    committee_staff,
    option_id,
    owners_estate,
    owners_poll,
    resident_poll,
    residents,
)
from votes import services
from votes.models import Ballot, PollStatus, Rule, Secrecy

pytestmark = pytest.mark.django_db


def url(name, poll, **kw):
    return reverse(name, args=[poll.community.slug, poll.pk])


@pytest.fixture
def closed_owners_poll():
    """6 single owners, a co-owned unit, a two-unit owner and the developer: 9 voters."""
    estate = owners_estate()
    poll = owners_poll(estate, rule=Rule.OWNERS_SPECIAL)
    yes, no, _ = (option_id(poll, i) for i in range(3))
    staff = committee_staff(estate.community)
    for owner in estate.owners[:5]:
        services.ballot_cast(poll=poll, voter=owner, choice={"choice": yes})
    services.ballot_cast(poll=poll, voter=estate.co_owners[0], choice={"choice": no})
    dev_key = next(v["key"] for v in poll.frozen_electorate if not v["user_ids"])
    services.ballot_cast(
        poll=poll, voter=dev_key, choice={"choice": yes}, channel="paper", entered_by=staff
    )
    poll = services.poll_close(poll=poll, actor=staff)
    return estate, poll, staff


def test_result_page_explains_the_verdict(client, closed_owners_poll):
    _estate, poll, _ = closed_owners_poll
    response = client.get(url("poll-detail", poll))
    assert response.status_code == 200
    html = response.content.decode()
    result = poll.result
    assert "初步结果(公示中)" in html
    assert f'data-testid="verdict">\n        {result["verdict_label"]}' in html
    for reason in result["reasons"]:
        assert escape(reason) in html
    for threshold in result["thresholds"]:
        assert escape(threshold["text"]) in html
    assert f'data-testid="total-headcount">{poll.total_headcount}<' in html
    assert f'data-testid="total-area">{poll.total_area} ㎡<' in html
    assert result["participating"]["area"] in html
    assert "纸质票(工作人员录入):1" in html and "网上:6" in html
    assert poll.chain_head in html
    assert "公示期至" in html


def test_running_poll_hides_counts_but_shows_denominators(client):
    community = CommunityFactory()
    voters = residents(community, 3)
    poll = resident_poll(community)
    services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    html = client.get(url("poll-detail", poll)).content.decode()
    assert "表决进行中,截止后公布结果。" in html
    assert 'data-testid="total-headcount">3<' in html
    assert "各选项得票" not in html
    live = resident_poll(community, question="公开计票", show_running_tally=True)
    services.ballot_cast(poll=live, voter=voters[0], choice={"choice": option_id(live)})
    html = client.get(url("poll-detail", live)).content.decode()
    assert "各选项得票" in html and "实时计票" in html


def test_resident_votes_with_a_plain_form_and_sees_the_receipt(client):
    community = CommunityFactory()
    voter = residents(community, 2)[0]
    poll = resident_poll(community)
    client.force_login(voter)
    page = client.get(url("poll-detail", poll)).content.decode()
    assert f'action="{url("poll-vote", poll)}"' in page and 'type="radio"' in page
    assert "<script" not in page
    response = client.post(url("poll-vote", poll), {"choice": option_id(poll, 1)})
    assert response.status_code == 200
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.receipt in response.content.decode()
    assert ballot.choice == {"choice": option_id(poll, 1)}
    again = client.post(url("poll-vote", poll), {"choice": option_id(poll)}, follow=True)
    assert "本户(本人)已经投过票" in again.content.decode()
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_bad_form_input_is_refused_and_nothing_stored(client):
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    poll = resident_poll(community)
    client.force_login(voter)
    response = client.post(url("poll-vote", poll), {"choice": "abc"}, follow=True)
    assert "选票内容不正确" in response.content.decode()
    assert not Ballot.objects.filter(poll=poll).exists()


def test_approval_and_ranked_forms(client):
    community = CommunityFactory()
    voter = residents(community, 1)[0]
    approval = resident_poll(community, method="approval")
    ranked = resident_poll(community, method="ranked", question="排序")
    client.force_login(voter)
    ids = [option_id(approval, 0), option_id(approval, 2)]
    client.post(url("poll-vote", approval), {"choices": [str(i) for i in ids]})
    assert Ballot.objects.get(poll=approval).choice == {"choices": sorted(ids)}
    client.post(
        url("poll-vote", ranked),
        {f"rank_{option_id(ranked, 2)}": "1", f"rank_{option_id(ranked, 0)}": "2"},
    )
    assert Ballot.objects.get(poll=ranked).choice == {
        "ranking": [option_id(ranked, 2), option_id(ranked, 0)]
    }


def test_outsider_sees_why_they_cannot_vote(client):
    community = CommunityFactory()
    residents(community, 1)
    poll = resident_poll(community)
    anonymous = client.get(url("poll-detail", poll)).content.decode()
    assert "登录后投票" in anonymous
    client.force_login(committee_staff(community))
    assert "您不在本次表决的范围内" in client.get(url("poll-detail", poll)).content.decode()


def test_secret_poll_page_lists_receipts(client):
    community = CommunityFactory()
    voters = residents(community, 3)
    poll = resident_poll(community, secrecy=Secrecy.SECRET)
    receipts = [
        services.ballot_cast(poll=poll, voter=v, choice={"choice": option_id(poll)}).receipt
        for v in voters
    ]
    services.poll_close(poll=poll, actor=None)
    html = client.get(url("poll-detail", poll)).content.decode()
    assert "回执码清单" in html
    for receipt in receipts:
        assert f"<code>{receipt}</code>" in html


def test_paper_screen_is_staff_only_and_enters_ballots(client):
    """Direct staff entry stays for deliberative polls (DESIGN.md "Votes": staff entry is
    recorded and shown); owners' decisions have the four-eyes entry (next test)."""
    estate = owners_estate()
    poll = resident_poll(estate.community, actor=estate.staff)
    staff = committee_staff(estate.community)
    client.force_login(estate.owners[0])
    assert client.get(url("poll-paper", poll)).status_code == 403
    client.force_login(staff)
    empty = client.get(url("poll-paper", poll)).content.decode()
    assert 'id="q"' in empty and "autofocus" in empty

    def key(user):
        return next(v["key"] for v in poll.frozen_electorate if user.pk in v["user_ids"])

    name = str(estate.co_owners[0])
    found = client.get(url("poll-paper", poll), {"q": name}).content.decode()
    # One match: it is preselected and the cursor waits in the option-number box.
    assert f'value="{key(estate.co_owners[0])}" required checked>' in found
    assert (
        'name="choice_number" inputmode="numeric" pattern="[0-9]*" autocomplete="off" autofocus'
        in found
    )
    response = client.post(
        url("poll-paper", poll),
        {
            "q": name,
            "voter_key": key(estate.co_owners[0]),
            "choice_number": "2",
            "channel": "paper",
        },
    )
    assert response.status_code == 302
    ballot = Ballot.objects.get(poll=poll, voter_key=key(estate.co_owners[0]))
    assert (ballot.channel, ballot.entered_by_id) == ("paper", staff.pk)
    assert ballot.choice == {"choice": option_id(poll, 1)}
    bad_number = client.post(
        url("poll-paper", poll),
        {
            "q": str(estate.owners[0]),
            "voter_key": key(estate.owners[0]),
            "choice_number": "7",
            "channel": "paper",
        },
    )
    assert bad_number.status_code == 400
    assert "选票内容不正确" in bad_number.content.decode()
    # The same voter again: refused with the reason, the form kept.
    again = client.post(
        url("poll-paper", poll),
        {
            "q": name,
            "voter_key": key(estate.co_owners[0]),
            "choice": option_id(poll),
            "channel": "paper",
        },
    )
    assert again.status_code == 400
    assert "本户(本人)已经投过票" in again.content.decode()
    proxy_without_note = client.post(
        url("poll-paper", poll),
        {
            "q": str(estate.two_unit_owner),
            "voter_key": key(estate.two_unit_owner),
            "choice": option_id(poll),
            "channel": "proxy",
        },
    )
    assert proxy_without_note.status_code == 400
    assert "委托代投须注明书面授权委托书" in proxy_without_note.content.decode()


def test_owners_paper_screen_leads_to_the_four_eyes_entry_and_counts_nothing(client):
    """No path around evidence and a second person: the direct screen sends an owners'
    decision to the campaign entry (GET and a stale form's POST alike) and casts nothing."""
    estate = owners_estate()
    poll = owners_poll(estate)
    staff = committee_staff(estate.community)
    client.force_login(estate.owners[0])
    assert client.get(url("poll-paper", poll)).status_code == 403
    client.force_login(staff)
    entry = f"/admin/campaign/{poll.pk}/entry/"
    shown = client.get(url("poll-paper", poll))
    assert shown.status_code == 302 and shown["Location"] == entry
    key = next(v["key"] for v in poll.frozen_electorate if estate.co_owners[0].pk in v["user_ids"])
    for channel in ("paper", "proxy", "in_person"):
        stale = client.post(
            url("poll-paper", poll),
            {
                "voter_key": key,
                "choice": option_id(poll),
                "channel": channel,
                "proxy_note": "授权委托书",
                "proxy_name": "李四",
            },
        )
        assert stale.status_code == 302 and stale["Location"] == entry
    assert not Ballot.objects.filter(poll=poll).exists()
    followed = client.get(entry, follow=True).content.decode()
    assert "须上传签字选票的照片或扫描件" in followed
    # The poll page's staff link goes to the entry screen, not the direct one.
    page = client.get(url("poll-detail", poll)).content.decode()
    assert f'href="{entry}"' in page
    assert url("poll-paper", poll) not in page


def test_export_is_staff_only(client, closed_owners_poll):
    estate, poll, staff = closed_owners_poll
    assert client.get(url("poll-export-csv", poll)).status_code == 403
    client.force_login(estate.owners[0])
    assert client.get(url("poll-export-json", poll)).status_code == 403
    client.force_login(staff)
    response = client.get(url("poll-export-csv", poll))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["seq", "voter", "voter_key", "choice"]
    assert len(rows) == 1 + 7
    assert {r[6] for r in rows[1:]} == {"online", "paper"}
    data = json.loads(client.get(url("poll-export-json", poll)).content)
    assert len(data["ballots"]) == 7
    assert data["poll"]["result"]["verdict"] == poll.result["verdict"]


def test_staff_actions_open_extend_close(client):
    community = CommunityFactory()
    residents(community, 2)
    staff = committee_staff(community)
    poll = resident_poll(community, open_now=False, closes_at=timezone.now() + dt.timedelta(1))
    client.force_login(residents(community, 1)[0])
    # A draft is invisible to residents, and its actions with it.
    assert client.post(url("poll-manage", poll), {"action": "open"}).status_code == 404
    client.force_login(staff)
    client.post(url("poll-manage", poll), {"action": "open"})
    poll.refresh_from_db()
    assert poll.status == PollStatus.OPEN
    later = timezone.localtime() + dt.timedelta(days=5)
    client.post(
        url("poll-manage", poll),
        {"action": "extend", "closes_at": later.strftime("%Y-%m-%dT%H:%M"), "reason": "参与不足"},
    )
    poll.refresh_from_db()
    stamp = "%Y-%m-%dT%H:%M"
    assert timezone.localtime(poll.closes_at).strftime(stamp) == later.strftime(stamp)
    html = client.get(url("poll-detail", poll)).content.decode()
    assert "延长表决期" in html and "参与不足" in html
    client.force_login(residents(community, 1)[0])
    assert client.post(url("poll-manage", poll), {"action": "close"}).status_code == 403
    client.force_login(staff)
    client.post(url("poll-manage", poll), {"action": "close"})
    poll.refresh_from_db()
    assert poll.status == PollStatus.FINAL  # deliberative polls are final at close


def test_list_page_query_budget(client, django_assert_max_num_queries):
    community = CommunityFactory()
    residents(community, 2)
    for i in range(6):
        resident_poll(community, question=f"表决{i}")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("poll-list", args=[community.slug]))
    assert response.content.decode().count("poll-status-open") == 6
