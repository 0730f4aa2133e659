"""Pages for issue 15 points 5 and 6: staff pause, outage and resume from the poll page; the web
form and the JSON API refuse with ``poll_paused``; objections recorded and answered in the admin;
the notice desk lists the drafted notices with the poll preselected."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.registry.rules import Role
from deliberation.registry.services import roles_ensure
from meetings.protocol import ERROR_CODES
from tests.factories.votes import committee_staff, option_id, owners_estate, owners_poll
from votes import services
from votes.models import PollEventKind, PollObjection, PollStatus, PollSuspension

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return owners_estate()


@pytest.fixture
def staff(estate):
    user = committee_staff(estate.community)
    user.groups.add(roles_ensure()[Role.FACILITATOR])
    return user


@pytest.fixture
def poll(estate, staff):
    return owners_poll(estate, closes_at=timezone.now() + dt.timedelta(days=7))


def manage(client, poll, **data):
    url = reverse("poll-manage", args=[poll.community.slug, poll.pk])
    return client.post(url, data, follow=True)


def test_staff_pause_resume_from_the_poll_page_and_voters_are_told(client, estate, staff, poll):
    client.force_login(staff)
    page = manage(client, poll, action="outage", reason="市平台升级")
    assert "已暂停网上表决" in page.content.decode()
    poll.refresh_from_db()
    assert poll.suspension == PollSuspension.OUTAGE
    # No reason: refused with a message, nothing changes.
    page = manage(client, poll, action="resume", reason="")
    assert "请说明恢复表决的情况" in page.content.decode()
    poll.refresh_from_db()
    assert poll.suspension == PollSuspension.OUTAGE

    owner = estate.owners[0]
    client.force_login(owner)
    detail = client.get(reverse("poll-detail", args=[poll.community.slug, poll.pk]))
    body = detail.content.decode()
    assert 'data-testid="poll-suspended"' in body and "市平台升级" in body
    assert "提交选票" not in body  # no vote form while online voting is suspended
    # The owner is told why, not that they are outside the poll.
    assert 'data-testid="vote-paused"' in body and "您不在本次表决的范围内" not in body
    response = client.post(
        reverse("poll-vote", args=[poll.community.slug, poll.pk]),
        {"choice": option_id(poll)},
        follow=True,
    )
    assert "表决已暂停" in response.content.decode()
    api = client.post(
        f"/api/polls/{poll.pk}/ballots/",
        data=json.dumps({"choice": option_id(poll)}),
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["code"] == "poll_paused"
    assert "poll_paused" in ERROR_CODES  # the websocket's error vocabulary

    client.force_login(staff)
    manage(client, poll, action="resume", reason="平台恢复")
    poll.refresh_from_db()
    assert not poll.suspension
    client.force_login(owner)
    api = client.post(
        f"/api/polls/{poll.pk}/ballots/",
        data=json.dumps({"choice": option_id(poll)}),
        content_type="application/json",
    )
    assert api.status_code == 201, api.content
    kinds = list(poll.events.values_list("kind", flat=True))
    assert kinds[-2:] == [PollEventKind.OUTAGE, PollEventKind.RESUMED]


def test_a_resident_cannot_pause(client, estate, poll):
    client.force_login(estate.owners[0])
    response = manage(client, poll, action="pause", reason="我要暂停")
    assert response.status_code == 403
    poll.refresh_from_db()
    assert not poll.suspension


@pytest.fixture
def closed(estate, staff, poll):
    for owner in estate.owners:
        services.ballot_cast(poll=poll, voter=owner, choice={"choice": option_id(poll)})
    return services.poll_close(poll=poll, actor=staff)


def test_objections_recorded_and_answered_in_the_admin(client, estate, staff, closed):
    url = reverse("poll_objections_admin", args=[closed.pk])
    client.force_login(staff)
    page = client.get(url)
    assert page.status_code == 200 and "登记异议" in page.content.decode()
    bad = client.post(url, {"action": "record", "objector_name": "", "text": "", "channel": "x"})
    assert bad.status_code == 400 and PollObjection.objects.count() == 0
    ok = client.post(
        url,
        {
            "action": "record",
            "objector_name": "王秀英",
            "unit_label": "1号楼301",
            "channel": "letter",
            "received_at": "",
            "text": "纸质票没有计入",
        },
    )
    assert ok.status_code == 302
    objection = PollObjection.objects.get()
    assert (objection.recorded_by, objection.channel) == (staff, "letter")
    empty = client.post(url, {"action": "answer", "objection": objection.pk, "answer": " "})
    assert empty.status_code == 400
    done = client.post(url, {"action": "answer", "objection": objection.pk, "answer": "已计入"})
    assert done.status_code == 302
    objection.refresh_from_db()
    assert objection.answer == "已计入" and objection.answered_by == staff
    page = client.get(url).content.decode()
    assert "已计入" in page and "未答复" not in page


def test_objections_page_is_for_the_polls_own_committee(client, estate, closed):
    other = owners_estate()
    outsider = committee_staff(other.community)
    client.force_login(outsider)
    assert client.get(reverse("poll_objections_admin", args=[closed.pk])).status_code == 404
    client.force_login(estate.owners[0])
    response = client.get(reverse("poll_objections_admin", args=[closed.pk]))
    assert response.status_code in (302, 403)


def test_finalise_from_the_page_is_refused_while_an_objection_is_open(
    client, estate, staff, closed
):
    services.objection_record(
        poll=closed, actor=staff, objector_name="王", text="异议", channel="phone"
    )
    type(closed).objects.filter(pk=closed.pk).update(objection_until=timezone.now())
    client.force_login(staff)
    page = manage(client, closed, action="finalise")
    assert "未答复" in page.content.decode()
    closed.refresh_from_db()
    assert closed.status == PollStatus.CLOSED


def test_notice_desk_lists_drafts_and_preselects_the_poll(client, estate, staff, poll):
    services.poll_pause(poll=poll, actor=staff, reason="暂停")
    client.force_login(staff)
    desk = client.get(reverse("notices_admin_list")).content.decode()
    assert 'data-testid="notice-drafts"' in desk
    link = reverse("notices_admin_issue", args=["poll_change"]) + f"?subject={poll.pk}"
    assert link in desk
    form = client.get(link).content.decode()
    assert f'<option value="{poll.pk}" selected>' in form
    assert client.post(link, {"subject": poll.pk}).status_code == 302
    desk = client.get(reverse("notices_admin_list")).content.decode()
    assert link not in desk
