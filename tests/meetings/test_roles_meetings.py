"""Facilitation is committee-only and community-scoped (issue 12 point 1): property and department
staff never facilitate or run a vote, whatever global permission they hold, and committee staff
of another community act on nothing here; by the service, the admin form and the websocket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Community, User
from deliberation.registry.rules import Role
from deliberation.registry.services import staff_member_set
from meetings import rules, services
from meetings.exceptions import MeetingRefused
from meetings.models import Meeting
from tests.factories.base import CommunityFactory, UserFactory
from tests.factories.meetings import MeetingScene, meeting_scene
from votes.models import PollStatus

db = database_sync_to_async


def with_role(community: Community, user: User, role: str) -> User:
    """``user`` given ``role`` in ``community``, holding every global votes and meetings
    permission besides (the old hole: ``meetings.change_meeting`` made anyone a facilitator)."""
    staff_member_set(community=community, user=user, role=role, is_council_member=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["votes", "meetings"])
    )
    return User.objects.get(pk=user.pk)


def property_manager(scene: MeetingScene) -> User:
    return with_role(scene.community, scene.council["property"].user, Role.PROPERTY)


def other_committee() -> User:
    return with_role(CommunityFactory(), UserFactory(), Role.FACILITATOR)


def schedule(scene: MeetingScene, *, facilitator: User, actor: User) -> Meeting:
    return services.meeting_schedule(
        community=scene.community,
        title="第二次议事会",
        starts_at=timezone.now() + timedelta(days=1),
        place="会议室",
        facilitator=facilitator,
        actor=actor,
    )


# --- scheduling ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_property_staff_named_facilitator_are_refused_at_schedule() -> None:
    scene = meeting_scene(items=0)
    manager = property_manager(scene)
    department = with_role(scene.community, scene.council["department"].user, Role.DEPARTMENT)
    for facilitator, actor in [
        (manager, scene.facilitator),  # the committee names property staff
        (manager, manager),  # property staff name themselves (issue 12)
        (department, scene.facilitator),
    ]:
        with pytest.raises(MeetingRefused) as err:
            schedule(scene, facilitator=facilitator, actor=actor)
        assert err.value.code == "forbidden"
    assert "居委会工作人员" in err.value.message
    assert not Meeting.objects.filter(title="第二次议事会").exists()
    # Property staff cannot schedule either, even naming the committee's facilitator.
    with pytest.raises(MeetingRefused):
        schedule(scene, facilitator=scene.facilitator, actor=manager)
    assert schedule(scene, facilitator=scene.facilitator, actor=scene.facilitator).pk


@pytest.mark.django_db
def test_committee_of_another_community_is_refused_at_schedule() -> None:
    scene = meeting_scene(items=0)
    outsider = other_committee()
    for facilitator, actor in [(outsider, scene.facilitator), (scene.facilitator, outsider)]:
        with pytest.raises(MeetingRefused) as err:
            schedule(scene, facilitator=facilitator, actor=actor)
        assert err.value.code == "forbidden"
    assert not Meeting.objects.filter(title="第二次议事会").exists()


@pytest.mark.django_db
def test_the_schedule_form_offers_and_accepts_committee_staff_only(client) -> None:
    scene = meeting_scene(items=0)
    manager = property_manager(scene)
    committee = with_role(scene.community, scene.facilitator, Role.FACILITATOR)
    client.force_login(committee)
    url = reverse("meetings_admin_schedule")
    form = client.get(url).content.decode()
    assert f'value="{committee.pk}"' in form
    assert f'value="{manager.pk}"' not in form
    starts = timezone.localtime() + timedelta(days=1)
    response = client.post(
        url,
        {
            "community": scene.community.pk,
            "title": "第二次议事会",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "place": "会议室",
            "facilitator": manager.pk,
        },
    )
    assert response.status_code == 400
    assert not Meeting.objects.filter(title="第二次议事会").exists()


# --- running the meeting -------------------------------------------------------------------------


@pytest.mark.django_db
def test_services_refuse_property_staff_and_other_committees() -> None:
    scene = meeting_scene(open_meeting=True)
    meeting = scene.meeting
    assert meeting is not None and scene.poll is not None
    services.attendance_mark(
        meeting=meeting,
        member=scene.member(scene.participants[0]),
        present=True,
        actor=scene.facilitator,
    )
    for actor in (property_manager(scene), other_committee()):
        assert not rules.is_facilitator(actor, meeting)
        for act in (
            lambda a: services.meeting_poll_open(meeting=meeting, poll=scene.poll, actor=a),
            lambda a: services.agenda_goto(meeting=meeting, item=scene.items[1], actor=a),
            lambda a: services.meeting_close(meeting=meeting, actor=a),
        ):
            with pytest.raises(MeetingRefused) as err:
                act(actor)
            assert err.value.code == "forbidden"
    scene.poll.refresh_from_db()
    assert scene.poll.status == PollStatus.DRAFT
    # A colleague of the committee may stand in for the named facilitator.
    colleague = with_role(scene.community, UserFactory(), Role.FACILITATOR)
    assert rules.is_facilitator(colleague, meeting)
    services.meeting_poll_open(meeting=meeting, poll=scene.poll, actor=colleague)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_property_staff_on_the_socket_get_forbidden(live) -> None:
    scene = await db(meeting_scene)(open_meeting=True)
    manager = await db(property_manager)(scene)
    client = await live(scene.meeting.pk, manager, query="role=facilitator")
    state = await client.recv()
    assert state["role"] == "participant"
    for frame in (
        {"type": "poll.open", "poll": scene.poll.pk},
        {"type": "agenda.goto", "item": scene.items[1].pk},
        {"type": "poll.close", "poll": scene.poll.pk},
    ):
        await client.send({**frame, "ref": frame["type"]})
        error = await client.until("error", ref=frame["type"])
        assert error["code"] == "forbidden"
    outsider = await db(other_committee)()
    observer = await live(scene.meeting.pk, outsider)
    assert (await observer.recv())["role"] == "observer"
    await observer.send({"type": "poll.open", "poll": scene.poll.pk, "ref": "o"})
    assert (await observer.until("error", ref="o"))["code"] == "forbidden"
    meeting = await db(Meeting.objects.select_related("current_item__poll").get)(
        pk=scene.meeting.pk
    )
    assert meeting.current_item_id == scene.items[0].pk
    assert meeting.current_item.poll.status == PollStatus.DRAFT
