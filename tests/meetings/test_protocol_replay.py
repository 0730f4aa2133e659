"""Replaying the recorded server frames on an old snapshot gives the fresh snapshot: clients
need nothing but ``state`` and the frames after it, in any order of arrival."""

from __future__ import annotations

import asyncio
import random

import pytest
from channels.db import database_sync_to_async

from meetings import protocol, services
from tests.factories.meetings import meeting_scene
from votes.models import Option

db = database_sync_to_async


def test_older_frames_are_ignored_per_section() -> None:
    state = protocol.apply_frame(
        None, {"type": "state", "seq": 5, "speakers": {"queue": [1]}, "attendance": {"n": 1}}
    )
    state = protocol.apply_frame(state, {"type": "attendance", "seq": 7, "attendance": {"n": 3}})
    # A speakers frame from seq 6 arrives late: still newer than the speakers we hold (5).
    state = protocol.apply_frame(
        state, {"type": "speakers", "seq": 6, "speakers": {"queue": [1, 2]}}
    )
    # An attendance frame from seq 6 arrives late: older than what we hold (7), ignored.
    state = protocol.apply_frame(state, {"type": "attendance", "seq": 6, "attendance": {"n": 2}})
    assert state["speakers"] == {"queue": [1, 2]}
    assert state["attendance"] == {"n": 3}
    assert state["seq"] == 7


def test_tally_counter_never_goes_backwards_nor_shows_another_poll() -> None:
    state = protocol.apply_frame(
        None, {"type": "state", "seq": 3, "poll": {"id": 1}, "tally": None}
    )
    state = protocol.apply_frame(
        state, {"type": "tally", "seq": 3, "tally": {"poll": 1, "ballots": 5}}
    )
    state = protocol.apply_frame(
        state, {"type": "tally", "seq": 3, "tally": {"poll": 1, "ballots": 4}}
    )
    assert state["tally"]["ballots"] == 5
    # A new poll starts from zero.
    state = protocol.apply_frame(
        state,
        {"type": "poll.opened", "seq": 4, "poll": {"id": 2}, "tally": {"poll": 2, "ballots": 0}},
    )
    assert state["tally"] == {"poll": 2, "ballots": 0}
    # A late tally of the previous poll does not replace the one shown.
    state = protocol.apply_frame(
        state, {"type": "tally", "seq": 4, "tally": {"poll": 1, "ballots": 6}}
    )
    assert state["tally"] == {"poll": 2, "ballots": 0}


def test_errors_and_acks_do_not_touch_the_state() -> None:
    state = protocol.apply_frame(None, {"type": "state", "seq": 1, "meeting": {"status": "live"}})
    after = protocol.apply_frame(
        state, {"type": "error", "ref": 1, "code": "forbidden", "message": ""}
    )
    after = protocol.apply_frame(after, {"type": "ballot.accepted", "ref": 2, "receipt": "abc"})
    assert protocol.shared_view(after) == protocol.shared_view(state)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_replay_recorded_frames_on_old_snapshot_equals_fresh_snapshot(live) -> None:
    scene = await db(meeting_scene)(participants=3, items=2)
    observer = await live(scene.meeting.pk)
    old = await observer.recv()
    assert old["type"] == "state" and old["meeting"]["status"] == "scheduled"

    f = scene.facilitator
    await db(services.meeting_open)(meeting=scene.meeting, actor=f)
    facilitator = await live(scene.meeting.pk, f)
    await facilitator.recv()
    voters = []
    for user in scene.participants:
        await db(services.attendance_checkin)(
            meeting=scene.meeting, user=user, code=scene.meeting.checkin_code
        )
        client = await live(scene.meeting.pk, user)
        await client.recv()
        voters.append(client)
    await voters[0].send({"type": "speaker.request"})
    await voters[1].send({"type": "speaker.request"})
    await facilitator.until("speakers", where=lambda fr: len(fr["speakers"]["queue"]) == 2)
    await facilitator.send({"type": "speaker.next"})
    await facilitator.send({"type": "note.add", "item": scene.items[0].pk, "text": "讨论要点"})
    await facilitator.send(
        {"type": "attendance.mark", "member": scene.council["property"].pk, "present": True}
    )
    await facilitator.send({"type": "poll.open", "poll": scene.poll.pk})
    await facilitator.until("poll.opened")
    options = await db(
        lambda: list(Option.objects.filter(poll=scene.poll).values_list("pk", flat=True))
    )()
    for i, client in enumerate(voters):
        await client.send({"type": "ballot.cast", "poll": scene.poll.pk, "choice": options[i % 2]})
    for client in voters:
        await client.until("ballot.accepted")
    await observer.until("tally", where=lambda fr: fr["tally"]["ballots"] == 3)
    await facilitator.send({"type": "poll.close", "poll": scene.poll.pk})
    await facilitator.until("poll.closed")
    await facilitator.send({"type": "agenda.goto", "item": scene.items[1].pk})

    def moved(frame) -> bool:
        return frame["agenda"]["current"] == scene.items[1].pk

    await facilitator.until("agenda", where=moved)
    # Every command's frame reaches a channel in the order sent, so once the observer has the
    # last one it has all of them. A tally that the pump sends later carries an older seq and
    # the reducer drops it, so it cannot change the replay.
    await observer.until("agenda", where=moved)

    frames = [fr for fr in observer.seen if fr["type"] != "state"]
    assert {fr["type"] for fr in frames} >= {
        "agenda",
        "speakers",
        "attendance",
        "poll.opened",
        "tally",
        "poll.closed",
    }
    fresh = await (await live(scene.meeting.pk)).recv()
    replayed = old
    for frame in frames:
        replayed = protocol.apply_frame(replayed, frame)
    assert replayed["seq"] == fresh["seq"]
    assert protocol.shared_view(replayed) == protocol.shared_view(fresh)

    # Frames may arrive in another order (several workers): the result is the same.
    rng = random.Random(5)
    for _ in range(20):
        shuffled = frames[:]
        rng.shuffle(shuffled)
        state = old
        for frame in shuffled:
            state = protocol.apply_frame(state, frame)
        assert protocol.shared_view(state) == protocol.shared_view(fresh)
    await asyncio.sleep(0)
