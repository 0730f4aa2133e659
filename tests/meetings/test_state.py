"""The ``state`` frame every connect receives: what each role gets, that it follows every change,
and that its cost does not grow with the number of members (a room connects within seconds)."""

from __future__ import annotations

import pytest

from meetings import selectors, services
from meetings.models import Meeting
from tests.factories.base import MemberFactory
from tests.factories.meetings import meeting_scene
from votes.services import ballot_cast

pytestmark = pytest.mark.django_db


def state_of(scene, user, role=None):
    return selectors.meeting_state(Meeting(pk=scene.meeting.pk), user, role=role)


def test_only_the_facilitator_gets_the_member_list() -> None:
    scene = meeting_scene(participants=3, open_meeting=True)
    facilitator = state_of(scene, scene.facilitator)
    participant = state_of(scene, scene.participants[0])
    observer = state_of(scene, scene.facilitator, role="observer")
    members = {m["member"] for m in facilitator["attendance"]["members"]}
    assert scene.member(scene.participants[0]).pk in members
    for state in (participant, observer):
        assert "members" not in state["attendance"]
        # ... but everyone sees attendance by party and the quorum.
        assert state["attendance"]["by_party"] == facilitator["attendance"]["by_party"]
        assert state["attendance"]["quorum"] == facilitator["attendance"]["quorum"]


def test_attendance_frames_carry_the_member_list_to_facilitators_only(
    django_capture_on_commit_callbacks,
) -> None:
    from unittest import mock

    scene = meeting_scene(participants=2, open_meeting=True)
    member = scene.member(scene.participants[0])
    sent = []
    with mock.patch("meetings.services.broadcast_on_commit") as broadcast:
        services.attendance_mark(
            meeting=scene.meeting, member=member.pk, present=True, actor=scene.facilitator
        )
        sent = broadcast.call_args
    event, staff_event = sent.args[1], sent.kwargs["staff_event"]
    assert "members" not in event["attendance"]
    assert event["attendance"]["by_party"]["resident"]["present"] == 1
    marked = {m["member"]: m["present"] for m in staff_event["attendance"]["members"]}
    assert marked[member.pk] is True


def test_a_cached_state_follows_every_change() -> None:
    scene = meeting_scene(participants=3, open_meeting=True)
    voter = scene.participants[0]
    before = state_of(scene, voter)
    assert before["attendance"]["by_party"]["resident"]["present"] == 0
    assert state_of(scene, voter)["seq"] == before["seq"]  # served from the cache

    services.attendance_checkin(meeting=scene.meeting, user=voter, code=scene.meeting.checkin_code)
    after = state_of(scene, voter)
    assert after["seq"] > before["seq"]
    assert after["attendance"]["by_party"]["resident"]["present"] == 1
    assert after["you"]["checked_in"] is True

    services.meeting_poll_open(meeting=scene.meeting, poll=scene.poll.pk, actor=scene.facilitator)
    opened = state_of(scene, voter)
    assert opened["poll"]["status"] == "open" and opened["tally"]["ballots"] == 0
    yes = scene.poll.options.order_by("pk").first()
    ballot_cast(poll=scene.poll, voter=voter, choice={"choice": yes.pk})
    # A ballot does not bump the meeting's seq; the tally still follows it.
    voted = state_of(scene, voter)
    assert voted["seq"] == opened["seq"]
    assert voted["tally"]["ballots"] == 1
    assert voted["you"]["voted"] is True
    assert state_of(scene, scene.participants[1])["you"]["voted"] is False


@pytest.mark.parametrize("extra_members", [0, 200])
def test_a_connect_costs_the_same_queries_however_many_members(
    extra_members, django_assert_max_num_queries
) -> None:
    scene = meeting_scene(participants=3, open_meeting=True)
    for user in scene.participants:
        services.attendance_checkin(
            meeting=scene.meeting, user=user, code=scene.meeting.checkin_code
        )
    for _ in range(extra_members):
        member = MemberFactory(community=scene.community, is_council_member=True)
        services.attendance_mark(
            meeting=scene.meeting, member=member.pk, present=True, actor=scene.facilitator
        )
    services.meeting_poll_open(meeting=scene.meeting, poll=scene.poll.pk, actor=scene.facilitator)
    # The first connect of this version reads the meeting row and builds the sections.
    selectors.meeting_connect(meeting_id=scene.meeting.pk, user=scene.participants[0])
    voter = scene.participants[1]
    # The meeting's version, the voter's membership, whether they voted: the rest is shared.
    with django_assert_max_num_queries(3):
        role, state = selectors.meeting_connect(meeting_id=scene.meeting.pk, user=voter)
    assert role == "participant"
    assert state["you"]["checked_in"] is True and state["you"]["voted"] is False
    assert state["attendance"]["quorum"]["expected"] >= 4 + 3 + extra_members - 1


def test_each_language_gets_its_own_labels() -> None:
    from django.utils import translation

    scene = meeting_scene(participants=1, open_meeting=True)
    with translation.override("zh-hans"):
        chinese = state_of(scene, scene.participants[0])
    with translation.override("en"):
        english = state_of(scene, scene.participants[0])
    assert chinese["meeting"]["status_label"] != english["meeting"]["status_label"]
    assert english["attendance"]["by_party"]["resident"]["label"] == "Residents / owners"


def test_a_connect_sees_its_own_check_in_and_speaking_from_the_shared_sections() -> None:
    scene = meeting_scene(participants=2, open_meeting=True)
    voter, other = scene.participants
    _role, state = selectors.meeting_connect(meeting_id=scene.meeting.pk, user=voter)
    assert state["you"]["checked_in"] is False and state["you"]["speaker"] is None

    for user in (voter, other):
        services.attendance_checkin(
            meeting=scene.meeting, user=user, code=scene.meeting.checkin_code
        )
    services.speaker_request(meeting=scene.meeting, user=other)
    services.speaker_request(meeting=scene.meeting, user=voter)
    _role, state = selectors.meeting_connect(meeting_id=scene.meeting.pk, user=voter)
    assert state["you"]["checked_in"] is True
    assert state["you"]["speaker"] == "waiting"

    services.speaker_next(meeting=scene.meeting, actor=scene.facilitator)  # the other speaks
    assert (
        selectors.meeting_connect(meeting_id=scene.meeting.pk, user=voter)[1]["you"]["speaker"]
        == "waiting"
    )
    assert (
        selectors.meeting_connect(meeting_id=scene.meeting.pk, user=other)[1]["you"]["speaker"]
        == "speaking"
    )
    services.speaker_next(meeting=scene.meeting, actor=scene.facilitator)  # now the voter
    _role, state = selectors.meeting_connect(meeting_id=scene.meeting.pk, user=voter)
    assert state["you"]["speaker"] == "speaking"
    # The same as the state built the long way for the same user.
    assert state["you"] == state_of(scene, voter)["you"]


def test_a_connect_decides_the_role_as_role_for_does() -> None:
    from django.contrib.auth.models import AnonymousUser

    from meetings import rules
    from tests.factories.base import UserFactory

    scene = meeting_scene(participants=1, open_meeting=True)
    meeting = scene.meeting
    outsider = UserFactory()
    superuser = UserFactory(is_superuser=True)
    people = [scene.facilitator, scene.participants[0], scene.council["property"].user]
    people += [outsider, superuser, AnonymousUser()]
    for is_public in (True, False):
        Meeting.objects.filter(pk=meeting.pk).update(is_public=is_public)
        meeting.refresh_from_db()
        for user in people:
            role, state = selectors.meeting_connect(meeting_id=meeting.pk, user=user)
            assert role == rules.role_for(user, meeting), (is_public, user)
            assert (state is None) == (role is None)
            if state is not None:
                assert state["role"] == role
    # A lower role on request, never a higher one.
    assert (
        selectors.meeting_connect(meeting_id=meeting.pk, user=scene.facilitator, wanted="observer")[
            0
        ]
        == "observer"
    )
    assert (
        selectors.meeting_connect(
            meeting_id=meeting.pk, user=scene.participants[0], wanted="facilitator"
        )[0]
        == "participant"
    )
    assert selectors.meeting_connect(meeting_id=0, user=scene.facilitator) == (None, None)
