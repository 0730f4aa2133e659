"""Meeting pages render and every action works as a plain form (no JavaScript)."""

import pytest
from django.test import Client
from django.urls import reverse

from meetings.models import Attendance, MeetingStatus, Note, PartyPosition, SpeakerRequest
from tests.factories.meetings import meeting_scene
from votes.models import Ballot, Option

pytestmark = pytest.mark.django_db


def url(scene, name):
    return reverse(name, args=[scene.community.slug, scene.meeting.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_render_for_each_role(django_assert_max_num_queries) -> None:
    scene = meeting_scene(open_meeting=True)
    anonymous = Client()
    for name in ("meeting-detail", "meeting-live", "meeting-projector"):
        with django_assert_max_num_queries(40):
            response = anonymous.get(url(scene, name))
        assert response.status_code == 200, name
        assert "测试议事会" in response.content.decode()
    live = anonymous.get(url(scene, "meeting-live")).content.decode()
    assert 'id="live-state"' in live and "正在重新连接…" in live
    assert "旁听者不参加表决" not in live  # the poll is still a draft
    assert anonymous.get(url(scene, "meeting-console")).status_code == 302  # to sign in
    assert signed_in(scene.participants[0]).get(url(scene, "meeting-console")).status_code == 403
    console = signed_in(scene.facilitator).get(url(scene, "meeting-console"))
    assert console.status_code == 200
    body = console.content.decode()
    assert scene.meeting.checkin_code in body
    assert "开始表决" in body and "结束会议" in body
    listing = anonymous.get(reverse("meeting-list", args=[scene.community.slug]))
    assert "测试议事会" in listing.content.decode()


def test_private_meeting_pages_need_membership() -> None:
    scene = meeting_scene(is_public=False, open_meeting=True)
    assert Client().get(url(scene, "meeting-detail")).status_code == 403
    assert Client().get(url(scene, "meeting-live")).status_code == 302
    assert signed_in(scene.outsider).get(url(scene, "meeting-live")).status_code == 403
    assert signed_in(scene.participants[0]).get(url(scene, "meeting-live")).status_code == 200


def test_a_meeting_runs_with_plain_forms() -> None:
    scene = meeting_scene(participants=2, items=2)
    f = signed_in(scene.facilitator)
    a = signed_in(scene.participants[0])
    f.post(url(scene, "meeting-open"))
    scene.meeting.refresh_from_db()
    assert scene.meeting.status == MeetingStatus.LIVE

    response = a.post(url(scene, "meeting-checkin"), {"code": "nope"}, follow=True)
    assert "签到码不正确" in response.content.decode()
    a.post(url(scene, "meeting-checkin"), {"code": scene.meeting.checkin_code})
    assert Attendance.objects.filter(meeting=scene.meeting, present=True).count() == 1

    a.post(url(scene, "meeting-action"), {"type": "speaker.request"})
    assert SpeakerRequest.objects.count() == 1
    f.post(url(scene, "meeting-action"), {"type": "speaker.next"})
    assert SpeakerRequest.objects.get().status == "speaking"

    response = a.post(
        url(scene, "meeting-action"), {"type": "poll.open", "poll": scene.poll.pk}, follow=True
    )
    assert "您没有权限" in response.content.decode()
    f.post(url(scene, "meeting-action"), {"type": "poll.open", "poll": scene.poll.pk})
    scene.poll.refresh_from_db()
    assert scene.poll.status == "open"

    live = a.get(url(scene, "meeting-live")).content.decode()
    assert 'name="choice"' in live  # options as buttons of a plain form
    yes = Option.objects.filter(poll=scene.poll).first()
    response = a.post(
        url(scene, "meeting-vote"), {"poll": scene.poll.pk, "choice": yes.pk}, follow=True
    )
    receipt = Ballot.objects.get().receipt
    assert receipt in response.content.decode()
    assert "您已投票" in response.content.decode()
    response = a.post(
        url(scene, "meeting-vote"), {"poll": scene.poll.pk, "choice": "x"}, follow=True
    )
    assert "请求内容不正确" in response.content.decode()

    f.post(
        url(scene, "meeting-action"),
        {"type": "note.add", "item": scene.items[0].pk, "text": "同意按方案一实施"},
    )
    f.post(
        url(scene, "meeting-position"),
        {
            "item": scene.items[0].pk,
            "party": "property",
            "stance": "conditional",
            "statement": "需业主分摊",
        },
    )
    assert Note.objects.get().text == "同意按方案一实施"
    assert PartyPosition.objects.get().stance == "conditional"
    f.post(
        url(scene, "meeting-action"),
        {"type": "attendance.mark", "member": scene.council["property"].pk, "present": "1"},
    )
    assert Attendance.objects.filter(meeting=scene.meeting, present=True).count() == 2

    # Closing asks first (a page without JavaScript); the close happens once confirmed.
    asked = f.post(url(scene, "meeting-action"), {"type": "poll.close", "poll": scene.poll.pk})
    assert "请确认" in asked.content.decode()
    scene.poll.refresh_from_db()
    assert scene.poll.status == "open"
    f.post(
        url(scene, "meeting-action"),
        {"type": "poll.close", "poll": scene.poll.pk, "confirmed": "1"},
    )
    scene.poll.refresh_from_db()
    assert scene.poll.status in ("closed", "final")
    projector = Client().get(url(scene, "meeting-projector")).content.decode()
    assert "表决结果" in projector
    f.post(url(scene, "meeting-action"), {"type": "meeting.close", "confirmed": "1"})
    scene.meeting.refresh_from_db()
    assert scene.meeting.status == MeetingStatus.CLOSED


def test_bad_form_input_loses_nothing() -> None:
    scene = meeting_scene(open_meeting=True)
    f = signed_in(scene.facilitator)
    seq = scene.meeting.seq
    for data in [
        {"type": "poll.delete"},
        {"type": "agenda.goto", "item": "abc"},
        {"type": "note.add", "item": scene.items[0].pk, "text": ""},
    ]:
        response = f.post(url(scene, "meeting-action"), data, follow=True)
        assert response.status_code == 200
        assert response.context["messages"]
    scene.meeting.refresh_from_db()
    assert scene.meeting.seq == seq
    assert Note.objects.count() == 0


def test_staff_schedule_a_meeting_in_the_admin() -> None:
    from deliberation.models import ProposalStatus
    from meetings.models import Meeting
    from tests.factories.base import UserFactory
    from tests.factories.meetings import accepted_proposal
    from votes.models import Electorate, Kind, Method, Rule
    from votes.services import poll_create

    scene = meeting_scene(items=0)
    admin = UserFactory(is_superuser=True, is_staff=True)
    first = accepted_proposal(scene.community, scene.council["resident"], "加装充电桩")
    second = accepted_proposal(scene.community, scene.council["resident"], "围墙改栏杆")
    poll = poll_create(
        community=scene.community,
        proposal=first,
        question="是否同意加装充电桩",
        kind=Kind.DELIBERATIVE,
        electorate=Electorate.ATTENDEES,
        method=Method.YESNO,
        rule=Rule.MAJORITY,
        actor=admin,
    )
    client = signed_in(admin)
    page = client.get(reverse("meetings_admin_schedule"))
    assert page.status_code == 200 and "加装充电桩" in page.content.decode()
    bad = client.post(reverse("meetings_admin_schedule"), {"title": "", "place": ""})
    assert bad.status_code == 400
    response = client.post(
        reverse("meetings_admin_schedule"),
        {
            "community": scene.community.pk,
            "title": "第五次四方议事会",
            "starts_at": "2026-12-01T19:00",
            "place": "议事厅",
            "facilitator": scene.facilitator.pk,
            "is_public": "on",
            "proposals": [first.pk, second.pk],
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(title="第五次四方议事会")
    assert [(i.proposal, i.poll) for i in meeting.items.all()] == [(first, poll), (second, None)]
    first.refresh_from_db()
    assert first.status == ProposalStatus.SCHEDULED
    listing = client.get(reverse("meetings_admin_list")).content.decode()
    assert "第五次四方议事会" in listing and meeting.checkin_code in listing
    # Residents never reach the admin pages.
    assert signed_in(scene.participants[0]).get(reverse("meetings_admin_list")).status_code in (
        302,
        403,
    )
