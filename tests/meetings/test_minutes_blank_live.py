"""A blank ballot (弃权, ``"choice": null``) through the live meeting's websocket protocol."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from meetings import protocol, services
from tests.factories.meetings import meeting_scene
from votes.models import Ballot, Method, Poll

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@pytest.fixture(autouse=True)
def _minutes_elsewhere():
    with mock.patch("meetings.services.minutes_enqueue") as enqueue:
        yield enqueue


def test_protocol_keeps_an_explicit_null_choice():
    frame = {"type": "ballot.cast", "poll": 3, "choice": None, "ref": "b"}
    message = protocol.parse(json.dumps(frame), max_bytes=4096)
    assert isinstance(message, protocol.BallotCast)
    assert message.payload() == {"choice": None}
    with pytest.raises(protocol.ProtocolError):  # nothing chosen at all
        protocol.parse(json.dumps({"type": "ballot.cast", "poll": 3}), max_bytes=4096)


@pytest.mark.asyncio
async def test_live_blank_ballot_is_accepted_on_a_majority_single_choice_poll(live) -> None:
    scene = await db(meeting_scene)(open_meeting=True)
    # A single-choice poll under a majority share: taking part counts, so 弃权 is a ballot.
    await db(lambda: Poll.objects.filter(pk=scene.poll.pk).update(method=Method.SINGLE))()
    voter_user = scene.participants[0]
    await db(services.attendance_checkin)(
        meeting=scene.meeting, user=voter_user, code=scene.meeting.checkin_code
    )
    await db(services.meeting_poll_open)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    voter = await live(scene.meeting.pk, voter_user)
    await voter.recv()
    await voter.send({"type": "ballot.cast", "poll": scene.poll.pk, "choice": None, "ref": "b1"})
    accepted = await voter.until("ballot.accepted")
    assert accepted["ref"] == "b1"
    stored = await db(lambda: list(Ballot.objects.values_list("choice", flat=True)))()
    assert stored == [{"choice": None}]


def test_live_page_form_casts_a_blank_ballot_only_from_its_button(client):
    """The plain-HTTP fallback of the live page: the 空白票 button, never an empty form."""
    scene = meeting_scene(open_meeting=True)
    Poll.objects.filter(pk=scene.poll.pk).update(method=Method.SINGLE)
    voter = scene.participants[0]
    services.attendance_checkin(meeting=scene.meeting, user=voter, code=scene.meeting.checkin_code)
    services.meeting_poll_open(meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator)
    client.force_login(voter)
    slug = scene.meeting.community.slug
    page = client.get(reverse("meeting-live", args=[slug, scene.meeting.pk])).content.decode()
    assert 'name="blank" value="choice"' in page and "空白票计入参与表决" in page
    vote = reverse("meeting-vote", args=[slug, scene.meeting.pk])
    client.post(vote, {"poll": scene.poll.pk, "ranking": "1"})  # an empty ranking form
    assert not Ballot.objects.exists()
    client.post(vote, {"poll": scene.poll.pk, "blank": "choice"})
    assert list(Ballot.objects.values_list("choice", flat=True)) == [{"choice": None}]
