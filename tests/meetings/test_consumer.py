"""The live-meeting consumer through ``config.asgi.application`` (origin check and sessions):
every client message type and every error code of the protocol, malformed frames, roles,
ballot acknowledgement after commit, reconnect, slow clients, sign-out."""

from __future__ import annotations

import asyncio
import json
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from meetings import broadcast, protocol, services, tallies
from meetings.batching import BallotBatcher
from meetings.models import Meeting, Note, SpeakerRequest
from tests.factories.meetings import meeting_scene
from tests.meetings.conftest import session_cookie
from votes.models import Ballot, Option

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@pytest.fixture(autouse=True)
def _minutes_elsewhere():
    """Closing a meeting queues its minutes; here the render (seconds of WeasyPrint) is not run
    in the test's one process, where it would starve the event loop the clients share."""
    with mock.patch("meetings.services.minutes_enqueue") as enqueue:
        yield enqueue


def option_ids(poll_id: int) -> list[int]:
    return list(Option.objects.filter(poll_id=poll_id).values_list("pk", flat=True))


def written(meeting_id: int) -> tuple[int, int, int, int]:
    """Everything a frame could write: seq, ballots, speaker requests, notes."""
    return (
        Meeting.objects.get(pk=meeting_id).seq,
        Ballot.objects.count(),
        SpeakerRequest.objects.count(),
        Note.objects.count(),
    )


async def live_scene(**kw):
    scene = await db(meeting_scene)(open_meeting=True, **kw)
    return scene


async def checkin(scene, *users) -> None:
    for user in users:
        await db(services.attendance_checkin)(
            meeting=scene.meeting, user=user, code=scene.meeting.checkin_code
        )


# --- connecting ----------------------------------------------------------------------------


async def test_connect_sends_state_with_seq_role_and_sections(live) -> None:
    scene = await live_scene()
    client = await live(scene.meeting.pk, scene.participants[0])
    state = await client.recv()
    assert state["type"] == "state"
    assert state["seq"] == (await db(Meeting.objects.get)(pk=scene.meeting.pk)).seq
    assert state["role"] == "participant"
    assert set(state["can"]) == {"ballot.cast", "speaker.request", "speaker.withdraw"}
    assert state["meeting"]["status"] == "live"
    assert state["agenda"]["current"] == scene.items[0].pk
    assert state["poll"]["id"] == scene.poll.pk
    assert state["speakers"]["speech_seconds"] == 120
    assert state["attendance"]["quorum"]["expected"] == 7
    assert state["you"]["member"] is not None


async def test_roles_per_connection(live) -> None:
    scene = await live_scene()
    facilitator = await live(scene.meeting.pk, scene.facilitator)
    assert (await facilitator.recv())["role"] == "facilitator"
    anonymous = await live(scene.meeting.pk)
    assert (await anonymous.recv())["role"] == "observer"
    outsider = await live(scene.meeting.pk, scene.outsider)
    assert (await outsider.recv())["role"] == "observer"
    projector = await live(scene.meeting.pk, scene.facilitator, query="role=observer")
    assert (await projector.recv())["role"] == "observer"
    # Asking for a higher role than one has gives nothing more.
    sneaky = await live(scene.meeting.pk, scene.participants[0], query="role=facilitator")
    assert (await sneaky.recv())["role"] == "participant"


async def test_private_meeting_refuses_anonymous_and_outsiders(live) -> None:
    scene = await live_scene(is_public=False)
    connected, _ = await live(scene.meeting.pk, expect=False)
    assert connected is False
    connected, _ = await live(scene.meeting.pk, scene.outsider, expect=False)
    assert connected is False
    member = await live(scene.meeting.pk, scene.participants[0])
    assert (await member.recv())["role"] == "participant"


async def test_foreign_origin_is_refused(live) -> None:
    scene = await live_scene()
    connected, _ = await live(
        scene.meeting.pk, scene.participants[0], origin="https://evil.example", expect=False
    )
    assert connected is False


async def test_unknown_meeting_is_refused(live) -> None:
    connected, _ = await live(999999, expect=False)
    assert connected is False


async def test_reconnect_gets_fresh_state_with_seq(live) -> None:
    scene = await live_scene()
    a = scene.participants[0]
    first = await live(scene.meeting.pk, a)
    old = await first.recv()
    await first.c.disconnect()
    await checkin(scene, a)
    await db(services.note_add)(
        meeting=scene.meeting, item=scene.items[0], author=scene.facilitator, text="断线期间的记录"
    )
    again = await live(scene.meeting.pk, a)
    fresh = await again.recv()
    assert fresh["type"] == "state"
    assert fresh["seq"] == old["seq"] + 2
    assert fresh["you"]["checked_in"] is True
    assert fresh["agenda"]["items"][0]["notes"][0]["text"] == "断线期间的记录"


# --- every client message type ---------------------------------------------------------------


async def test_ballot_cast_is_accepted_after_commit_with_a_receipt(live) -> None:
    scene = await live_scene()
    a = scene.participants[0]
    await checkin(scene, a)
    facilitator = await live(scene.meeting.pk, scene.facilitator)
    await facilitator.recv()
    await facilitator.send({"type": "poll.open", "poll": scene.poll.pk, "ref": "o1"})
    await facilitator.until("poll.opened")
    voter = await live(scene.meeting.pk, a)
    await voter.recv()
    yes = (await db(option_ids)(scene.poll.pk))[0]
    await voter.send({"type": "ballot.cast", "poll": scene.poll.pk, "choice": yes, "ref": "b1"})
    accepted = await voter.until("ballot.accepted")
    assert accepted["ref"] == "b1"
    # Committed: another connection (the test's own) sees the ballot with that receipt.
    receipts = await db(lambda: list(Ballot.objects.values_list("receipt", flat=True)))()
    assert receipts == [accepted["receipt"]]
    tally = await facilitator.until("tally")
    assert tally["tally"]["ballots"] == 1


async def test_ballot_not_acknowledged_when_the_transaction_fails(live) -> None:
    scene = await live_scene()
    a = scene.participants[0]
    await checkin(scene, a)
    await db(services.meeting_poll_open)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    voter = await live(scene.meeting.pk, a)
    await voter.recv()
    yes = (await db(option_ids)(scene.poll.pk))[0]
    with mock.patch("votes.services.casting._insert", side_effect=RuntimeError("disk full")):
        await voter.send({"type": "ballot.cast", "poll": scene.poll.pk, "choice": yes, "ref": 7})
        error = await voter.until("error")
    assert error == {
        "type": "error",
        "ref": 7,
        "code": "server_error",
        "message": str(protocol.ERROR_CODES["server_error"]),
    }
    assert not any(f["type"] == "ballot.accepted" for f in voter.seen)
    assert await db(Ballot.objects.count)() == 0
    # The connection stays usable: the same ballot now goes through.
    await voter.send({"type": "ballot.cast", "poll": scene.poll.pk, "choice": yes, "ref": 8})
    assert (await voter.until("ballot.accepted"))["ref"] == 8


async def test_speaker_request_withdraw_next(live) -> None:
    scene = await live_scene()
    a = scene.participants[0]
    await checkin(scene, a)
    facilitator = await live(scene.meeting.pk, scene.facilitator)
    await facilitator.recv()
    member = await live(scene.meeting.pk, a)
    await member.recv()
    member_id = (await db(scene.member)(a)).pk

    await member.send({"type": "speaker.request"})
    frame = await member.until("speakers")
    assert [q["member"] for q in frame["speakers"]["queue"]] == [member_id]
    await member.send({"type": "speaker.withdraw"})
    frame = await member.until("speakers")
    assert frame["speakers"]["queue"] == []
    await member.send({"type": "speaker.request", "ref": "again"})
    await member.until("speakers")
    await facilitator.send({"type": "speaker.next"})
    frame = await facilitator.until("speakers", where=lambda f: f["speakers"]["current"])
    assert frame["speakers"]["current"]["member"] == member_id
    assert frame["speakers"]["current"]["started_at"]
    assert frame["speakers"]["current"]["ends_at"]


async def test_facilitator_messages(live, _minutes_elsewhere) -> None:
    scene = await live_scene()
    a = scene.participants[0]
    facilitator = await live(scene.meeting.pk, scene.facilitator)
    state = await facilitator.recv()
    observer = await live(scene.meeting.pk)
    await observer.recv()

    await facilitator.send(
        {"type": "attendance.mark", "member": (await db(scene.member)(a)).pk, "present": True}
    )
    frame = await observer.until("attendance")
    assert frame["attendance"]["quorum"]["present"] == 1
    assert frame["seq"] > state["seq"]

    await facilitator.send({"type": "agenda.goto", "item": scene.items[1].pk})
    frame = await observer.until("agenda")
    assert frame["agenda"]["current"] == scene.items[1].pk
    assert frame["poll"] is None

    await facilitator.send({"type": "note.add", "item": scene.items[1].pk, "text": "物业答复"})
    frame = await observer.until("agenda")
    assert frame["agenda"]["items"][1]["notes"][0]["text"] == "物业答复"

    await facilitator.send({"type": "agenda.goto", "item": scene.items[0].pk})
    await observer.until("agenda")
    await facilitator.send({"type": "poll.open", "poll": scene.poll.pk})
    frame = await observer.until("poll.opened")
    assert frame["poll"]["status"] == "open"
    assert frame["tally"]["ballots"] == 0

    await facilitator.send({"type": "poll.close", "poll": scene.poll.pk})
    frame = await observer.until("poll.closed")
    # A deliberative vote has no objection period: it closes straight to its final result.
    assert frame["poll"]["status"] in ("closed", "final")
    assert frame["result"] is not None

    await facilitator.send({"type": "meeting.close"})
    frame = await observer.until("meeting.closed")
    assert frame["meeting"]["status"] == "closed"
    assert _minutes_elsewhere.call_count == 1
    seqs = [f["seq"] for f in observer.seen]
    assert seqs == sorted(seqs)


# --- every error code ------------------------------------------------------------------------


async def test_malformed_oversized_unknown_frames_get_errors_and_write_nothing(live) -> None:
    scene = await live_scene()
    a = scene.participants[0]
    await checkin(scene, a)
    client = await live(scene.meeting.pk, a)
    await client.recv()
    before = await db(written)(scene.meeting.pk)
    big = json.dumps(
        {"type": "speaker.request", "ref": "x", "pad": "长" * settings.SIFANG_WS_MAX_FRAME_BYTES}
    )
    cases = [
        ("{not json", "bad_request", None),
        ("[1, 2]", "bad_request", None),
        (json.dumps({"ref": "r1"}), "bad_request", "r1"),
        (json.dumps({"type": "ballot.cast", "poll": "one", "ref": "r2"}), "bad_request", "r2"),
        (
            json.dumps(
                {"type": "ballot.cast", "poll": 1, "choice": 1, "choices": [2], "ref": "r3"}
            ),
            "bad_request",
            "r3",
        ),
        (json.dumps({"type": "speaker.request", "extra": 1, "ref": "r4"}), "bad_request", "r4"),
        (big, "too_large", None),
        (json.dumps({"type": "poll.delete", "ref": "r5"}), "unknown_type", "r5"),
    ]
    for text, code, ref in cases:
        await client.send(text)
        error = await client.until("error")
        assert (error["code"], error["ref"]) == (code, ref), text[:60]
        assert error["message"]
    await client.c.send_to(bytes_data=b"\x00\x01")
    assert (await client.until("error"))["code"] == "bad_request"
    assert await db(written)(scene.meeting.pk) == before
    # Still usable.
    await client.send({"type": "speaker.request", "ref": "ok"})
    frame = await client.until("speakers")
    assert len(frame["speakers"]["queue"]) == 1


async def test_forbidden_for_participants_and_observers(live) -> None:
    scene = await live_scene()
    participant = await live(scene.meeting.pk, scene.participants[0])
    await participant.recv()
    for frame in [
        {"type": "poll.open", "poll": scene.poll.pk},
        {"type": "poll.close", "poll": scene.poll.pk},
        {"type": "agenda.goto", "item": scene.items[1].pk},
        {"type": "speaker.next"},
        {"type": "note.add", "item": scene.items[0].pk, "text": "x"},
        {"type": "attendance.mark", "member": 1, "present": True},
        {"type": "meeting.close"},
    ]:
        await participant.send({**frame, "ref": frame["type"]})
        error = await participant.until("error")
        assert (error["code"], error["ref"]) == ("forbidden", frame["type"])
    anonymous = await live(scene.meeting.pk)
    await anonymous.recv()
    options = await db(option_ids)(scene.poll.pk)
    for frame in [
        {"type": "ballot.cast", "poll": scene.poll.pk, "choice": options[0]},
        {"type": "speaker.request"},
    ]:
        await anonymous.send(frame)
        assert (await anonymous.until("error"))["code"] == "forbidden"
    assert (await db(Meeting.objects.get)(pk=scene.meeting.pk)).status == "live"
    assert await db(Ballot.objects.count)() == 0


async def test_not_found_and_bad_state(live) -> None:
    scene = await live_scene()
    other = await db(meeting_scene)()
    facilitator = await live(scene.meeting.pk, scene.facilitator)
    await facilitator.recv()
    await facilitator.send({"type": "agenda.goto", "item": other.items[0].pk, "ref": 1})
    assert (await facilitator.until("error"))["code"] == "not_found"
    await facilitator.send({"type": "poll.open", "poll": other.poll.pk, "ref": 2})
    assert (await facilitator.until("error"))["code"] == "not_found"
    # The other meeting's own facilitator role does not reach this meeting's rows either.
    scheduled = await live(other.meeting.pk, other.facilitator)
    await scheduled.recv()
    await scheduled.send({"type": "agenda.goto", "item": other.items[1].pk, "ref": 3})
    error = await scheduled.until("error")
    assert (error["code"], error["ref"]) == ("bad_state", 3)
    # Opening a poll twice is a state error from votes (as is opening one with nobody present).
    await facilitator.send({"type": "poll.open", "poll": scene.poll.pk, "ref": 5})
    assert (await facilitator.until("error", ref=5))["code"] == "bad_state"
    await checkin(scene, scene.participants[0])
    await facilitator.send({"type": "poll.open", "poll": scene.poll.pk})
    await facilitator.until("poll.opened")
    await facilitator.send({"type": "poll.open", "poll": scene.poll.pk, "ref": 4})
    assert (await facilitator.until("error"))["code"] == "bad_state"


async def test_speaker_errors(live) -> None:
    scene = await live_scene()
    await db(
        lambda: (
            type(scene.community).objects.filter(pk=scene.community.pk).update(speeches_per_item=1)
        )
    )()
    a = scene.participants[0]
    client = await live(scene.meeting.pk, a)
    await client.recv()
    await client.send({"type": "speaker.request", "ref": 1})
    assert (await client.until("error"))["code"] == "not_checked_in"
    await checkin(scene, a)
    await client.send({"type": "speaker.request"})
    await client.until("speakers")
    await client.send({"type": "speaker.request", "ref": 2})
    assert (await client.until("error"))["code"] == "already_queued"
    await db(services.speaker_next)(meeting=scene.meeting, actor=scene.facilitator)
    await db(services.speaker_next)(meeting=scene.meeting, actor=scene.facilitator)
    await client.send({"type": "speaker.request", "ref": 3})
    assert (await client.until("error"))["code"] == "speech_limit"
    await client.send({"type": "speaker.withdraw", "ref": 4})
    assert (await client.until("error"))["code"] == "not_found"


async def test_ballot_errors(live) -> None:
    from votes.services import proxy_register

    scene = await live_scene(participants=4)
    a, b, c, absent = scene.participants
    await checkin(scene, a, b, c)
    client = await live(scene.meeting.pk, a)
    await client.recv()
    yes, no, _abstain = await db(option_ids)(scene.poll.pk)
    cast = {"type": "ballot.cast", "poll": scene.poll.pk, "choice": yes}

    await client.send({**cast, "ref": "early"})
    assert (await client.until("error", ref="early"))["code"] == "poll_not_open"

    await db(services.meeting_poll_open)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    other = await db(meeting_scene)()
    await client.send({**cast, "choice": (await db(option_ids)(other.poll.pk))[0], "ref": "wrong"})
    assert (await client.until("error", ref="wrong"))["code"] == "wrong_option"
    await client.send({**cast, "poll": other.poll.pk, "ref": "elsewhere"})
    assert (await client.until("error", ref="elsewhere"))["code"] == "not_found"

    await client.send({**cast, "ref": "first"})
    await client.until("ballot.accepted", ref="first")
    await client.send({**cast, "choice": no, "ref": "second"})
    assert (await client.until("error", ref="second"))["code"] == "already_voted"

    # Not checked in when the poll opened: outside this attendees' poll.
    late = await live(scene.meeting.pk, absent)
    await late.recv()
    await late.send({**cast, "ref": "late"})
    assert (await late.until("error", ref="late"))["code"] == "not_eligible"

    # b gave a written proxy: b cannot vote in person any more.
    await db(proxy_register)(
        poll=scene.poll,
        voter_key=f"u{b.pk}" if False else await db(_key_of)(scene.poll, b),
        note="书面委托",
        actor=scene.facilitator,
    )
    delegated = await live(scene.meeting.pk, b)
    await delegated.recv()
    await delegated.send({**cast, "ref": "d"})
    assert (await delegated.until("error", ref="d"))["code"] == "delegated"

    await db(services.meeting_poll_close)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    voter_c = await live(scene.meeting.pk, c)
    await voter_c.recv()
    await voter_c.send({**cast, "ref": "after"})
    assert (await voter_c.until("error", ref="after"))["code"] == "poll_closed"
    assert await db(Ballot.objects.count)() == 1


async def test_a_change_beyond_the_declared_policy_is_refused_over_the_socket(live) -> None:
    from votes.models import ChangePolicy, Poll

    scene = await live_scene(participants=2)
    a, _b = scene.participants
    await checkin(scene, a)
    await db(Poll.objects.filter(pk=scene.poll.pk).update)(change_policy=ChangePolicy.ONCE)
    client = await live(scene.meeting.pk, a)
    await client.recv()
    yes, no, _abstain = await db(option_ids)(scene.poll.pk)
    await db(services.meeting_poll_open)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    cast = {"type": "ballot.cast", "poll": scene.poll.pk}
    await client.send({**cast, "choice": yes, "ref": "first"})
    await client.until("ballot.accepted", ref="first")
    await client.send({**cast, "choice": no, "ref": "change"})
    await client.until("ballot.accepted", ref="change")
    await client.send({**cast, "choice": yes, "ref": "again"})
    assert (await client.until("error", ref="again"))["code"] == "change_limit"
    assert await db(Ballot.objects.filter(poll=scene.poll).count)() == 1


async def test_a_paused_poll_refuses_online_ballots_over_the_socket(live) -> None:
    from django.db import transaction

    from votes.services.polls import poll_pause

    def pause(poll, actor):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            return poll_pause(poll=poll, actor=actor, reason="系统升级", online_only=True)

    scene = await live_scene(participants=1)
    [a] = scene.participants
    await checkin(scene, a)
    client = await live(scene.meeting.pk, a)
    await client.recv()
    yes, _no, _abstain = await db(option_ids)(scene.poll.pk)
    await db(services.meeting_poll_open)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    await db(pause)(scene.poll, scene.facilitator)
    await client.send({"type": "ballot.cast", "poll": scene.poll.pk, "choice": yes, "ref": "p"})
    assert (await client.until("error", ref="p"))["code"] == "poll_paused"
    assert await db(Ballot.objects.filter(poll=scene.poll).count)() == 0


def _key_of(poll, user) -> str:
    from votes.selectors import voter_keys_for_user

    poll.refresh_from_db()
    return voter_keys_for_user(poll, user)[0]


async def test_every_protocol_error_code_is_covered() -> None:
    """The codes exercised above (and server_error) are exactly the protocol's codes."""
    exercised = {
        "bad_request",
        "too_large",
        "unknown_type",
        "forbidden",
        "not_found",
        "bad_state",
        "not_checked_in",
        "already_queued",
        "speech_limit",
        "not_eligible",
        "already_voted",
        "poll_closed",
        "poll_not_open",
        "delegated",
        "wrong_option",
        "change_limit",
        "poll_paused",
        "server_error",
    }
    assert exercised == set(protocol.ERROR_CODES)


# --- load behaviour --------------------------------------------------------------------------


async def test_ballots_are_committed_in_batches() -> None:
    calls = []

    def fake(casts):
        calls.append(len(casts))
        return [services.MeetingCastOutcome(receipt=f"r{c.user_id}") for c in casts]

    batcher = BallotBatcher()
    with (
        mock.patch.object(services, "meeting_ballots_cast", fake),
        mock.patch.object(tallies, "tally_request"),
    ):
        outcomes = await asyncio.gather(
            *(batcher.submit(services.MeetingCast(1, 1, user, {"choice": 1})) for user in range(20))
        )
    assert [o.receipt for o in outcomes] == [f"r{u}" for u in range(20)]
    assert sum(calls) == 20 and len(calls) < 20


async def test_tally_broadcasts_are_coalesced(live) -> None:
    scene = await live_scene(participants=6)
    await checkin(scene, *scene.participants)
    await db(services.meeting_poll_open)(
        meeting=scene.meeting, poll=scene.poll, actor=scene.facilitator
    )
    projector = await live(scene.meeting.pk, query="role=observer")
    await projector.recv()
    voters = []
    for user in scene.participants:
        client = await live(scene.meeting.pk, user)
        await client.recv()
        voters.append(client)
    yes = (await db(option_ids)(scene.poll.pk))[0]
    for i, client in enumerate(voters):
        await client.send({"type": "ballot.cast", "poll": scene.poll.pk, "choice": yes, "ref": i})
    for client in voters:
        await client.until("ballot.accepted")
    final = await projector.until("tally", timeout=30, where=lambda f: f["tally"]["ballots"] == 6)
    tallies = [f for f in projector.seen if f["type"] == "tally"]
    assert final["tally"]["ballots"] == 6
    assert len(tallies) < 6  # coalesced: fewer tallies than ballots
    counts = [t["tally"]["ballots"] for t in tallies]
    assert counts == sorted(counts)


async def test_a_client_that_stops_reading_does_not_block_others(live) -> None:
    """A channel whose queue is full loses group messages (the layer's ``capacity``) instead of
    making the sender wait: the broadcast finishes, the reading client gets every frame and the
    stalled client's backlog stays bounded."""
    scene = await live_scene()
    layer = get_channel_layer()
    stalled = await layer.new_channel()
    await layer.group_add(broadcast.group_public(scene.meeting.pk), stalled)
    reader = await live(scene.meeting.pk)
    await reader.recv()
    capacity = layer.capacity
    total = capacity + 20
    # The reader keeps up (reads every batch); the stalled channel never reads.
    for start in range(0, total, 20):
        batch = range(start, min(start + 20, total))
        for i in batch:
            await broadcast.send_frames(scene.meeting.pk, json.dumps({"type": "tally", "seq": i}))
        for i in batch:
            assert (await reader.recv())["seq"] == i
    backlog = 0
    while True:
        try:
            await asyncio.wait_for(layer.receive(stalled), timeout=0.2)
        except TimeoutError:
            break
        backlog += 1
    assert backlog <= capacity
    await layer.group_discard(broadcast.group_public(scene.meeting.pk), stalled)


async def test_signing_out_closes_that_sessions_sockets(live) -> None:
    scene = await live_scene()
    a = scene.participants[0]
    key = await sync_to_async(session_cookie)(a)
    mine = await live(scene.meeting.pk, session_key=key)
    assert (await mine.recv())["role"] == "participant"
    other_session = await live(scene.meeting.pk, a)
    await other_session.recv()

    def logout() -> None:
        client = Client(raise_request_exception=False)
        client.cookies["sessionid"] = key
        client.post("/accounts/logout/")

    await sync_to_async(logout)()
    closed = await mine.c.receive_output(timeout=30)
    assert closed == {"type": "websocket.close", "code": 4401}
    # The same user's other session stays connected: it still answers (a closed socket would
    # give a close instead of the error frame).
    await other_session.send({"type": "no.such.type", "ref": "still-here"})
    answer = await other_session.recv()
    assert answer["type"] == "error" and answer["ref"] == "still-here"
    # A reconnect with the dead session is anonymous: an observer that cannot cast.
    again = await live(scene.meeting.pk, session_key=key)
    assert (await again.recv())["role"] == "observer"


class ControlledClock:
    """Time for ``tallies``: it moves only when the pump sleeps, by exactly what it asked for."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)  # let the rest of the loop run, as a real sleep would


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(
    "poll_id, busy_for, defer_max, sent_at",
    [
        # Acknowledgements owed for 0.4 s, well under the bound: the tally waits for them.
        (987001, 0.4, 5.0, 0.4),
        # Owed for longer than the bound (a stream that never stops): sent at the bound.
        (987002, 9.0, 0.3, 0.3),
    ],
)
async def test_a_tally_waits_for_owed_acknowledgements_but_not_forever(
    poll_id, busy_for, defer_max, sent_at, settings, monkeypatch
) -> None:
    """Relaying a tally to a room holds the event loop, so the pump lets the acknowledgements
    owed in this process go first; a stream that never stops still gets its tally.

    The pump runs on a controlled clock, so the bound is exact however busy the machine is;
    the test waits for the pump to finish, so it leaves no coalescing lock behind."""
    settings.SIFANG_TALLY_INTERVAL = 0.01
    clock = ControlledClock()
    monkeypatch.setattr(tallies, "monotonic", clock.monotonic)
    monkeypatch.setattr(tallies, "sleep", clock.sleep)
    monkeypatch.setattr(tallies, "TALLY_DEFER_MAX", defer_max)
    monkeypatch.setattr(tallies, "_build_tally", lambda m, p: ("{}", "{}"))
    sent: list[float] = []

    async def record(meeting_id, text, staff_text=None):
        sent.append(clock.now)

    monkeypatch.setattr(tallies, "send_frames", record)
    await sync_to_async(cache.delete_many)(list(tallies._keys(poll_id)))

    await tallies.tally_request(1, poll_id, defer_while=lambda: clock.now < busy_for)
    # Generous: only keeps a broken pump from hanging the suite.
    await asyncio.wait_for(asyncio.gather(*tallies.tally_pumps()), timeout=60)

    window = settings.SIFANG_TALLY_INTERVAL
    assert len(sent) == 1
    assert sent_at <= sent[0] < sent_at + window + 0.05  # a polling step or two past it
    _dirty, lock = tallies._keys(poll_id)
    assert await sync_to_async(cache.get)(lock) is None  # released: nothing left for the next


@pytest.mark.django_db(transaction=False)
async def test_another_workers_receipts_hold_the_tally_only_until_its_queue_runs_dry(
    monkeypatch,
) -> None:
    """With several workers the tally waits while another worker still commits ballots of the
    poll (so it does not relay a tally in the middle of that worker's burst), and stops waiting
    as soon as that worker says its queue ran dry, rather than a grace period later."""
    poll_id = 987003
    monkeypatch.setattr(tallies, "OWED_GRACE", 60.0)  # only the settled mark ends the wait here
    await sync_to_async(cache.delete)(tallies._owed_key(poll_id))

    monkeypatch.setattr(tallies, "_PROCESS", "otherworker")
    await tallies.ballots_owed({poll_id})
    monkeypatch.setattr(tallies, "_PROCESS", "thisworker")
    assert await tallies._owed_elsewhere(poll_id)
    await tallies.ballots_settled({poll_id})  # not this worker's mark: left as it is
    assert await tallies._owed_elsewhere(poll_id)

    monkeypatch.setattr(tallies, "_PROCESS", "otherworker")
    await tallies.ballots_settled({poll_id})
    monkeypatch.setattr(tallies, "_PROCESS", "thisworker")
    assert not await tallies._owed_elsewhere(poll_id)
    await sync_to_async(cache.delete)(tallies._owed_key(poll_id))
