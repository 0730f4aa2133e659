"""A live socket after a channel-layer outage and a repeated ballot ref (issue 16, points 4-5):
``layer.resumed`` answers with a fresh ``state``; the same ``ballot.cast`` again (same ref and
choice) gets the original receipt, another ref ``already_voted``."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from meetings import broadcast, services
from tests.factories.meetings import meeting_scene
from tests.meetings.test_consumer import checkin, option_ids
from votes.models import Ballot

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def test_layer_resumed_sends_a_fresh_state(live) -> None:
    scene = await db(meeting_scene)(open_meeting=True)
    client = await live(scene.meeting.pk, scene.participants[0])
    first = await client.recv()
    # Changed while the layer was away: the frame that told it is lost (not sent here).
    await db(services.note_add)(
        meeting=scene.meeting, item=scene.items[0], author=scene.facilitator, text="断线期间"
    )
    await client.until("agenda")  # in memory the layer never went away; drain its frame
    await get_channel_layer().group_send(
        broadcast.group_public(scene.meeting.pk), {"type": "layer.resumed"}
    )
    fresh = await client.until("state")
    assert fresh["seq"] > first["seq"] and fresh["role"] == "participant"
    assert fresh["agenda"]["items"][0]["notes"][0]["text"] == "断线期间"


async def test_the_same_ballot_again_gets_its_original_receipt(live) -> None:
    scene = await db(meeting_scene)(open_meeting=True)
    voter_user = scene.participants[0]
    await checkin(scene, voter_user)
    facilitator = await live(scene.meeting.pk, scene.facilitator)
    await facilitator.recv()
    await facilitator.send({"type": "poll.open", "poll": scene.poll.pk, "ref": "o1"})
    await facilitator.until("poll.opened")
    voter = await live(scene.meeting.pk, voter_user)
    await voter.recv()
    yes = (await db(option_ids)(scene.poll.pk))[0]
    frame = {"type": "ballot.cast", "poll": scene.poll.pk, "choice": yes, "ref": "c1-x7"}
    await voter.send(frame)
    accepted = await voter.until("ballot.accepted")
    await voter.send(frame)
    again = await voter.until("ballot.accepted")
    assert again == accepted
    await voter.send({**frame, "ref": "c2-x7"})
    refused = await voter.until("error")
    assert refused["code"] == "already_voted" and refused["ref"] == "c2-x7"
    assert await db(Ballot.objects.count)() == 1
