"""The permission matrix of the live-meeting websocket (issue 12 point 3): every command of
``meetings.protocol.MESSAGES`` and the connection itself, tried by every actor of the matrix
against the meetings of both communities, public and private; the expected answer comes from
``cms.access.WS_ACCESS``.

A connection is refused when the handshake is closed; a command is refused when the consumer
answers ``error`` with the code ``forbidden``. Any other answer (the command's frames, or an error
about the meeting's state or the payload) means the person reached the command. After each
command a probe frame of an unknown type is sent: the consumer answers frames in order, so the
probe's answer marks the end of the command's answers without waiting on a clock.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from cms.access import WS_ACCESS
from config.asgi import application
from meetings.protocol import MESSAGES
from tests.cms.matrix_world import ACTORS, Actor, Target, World, allows, build_world

# Facilitator commands that end the meeting go last, so the others meet a live meeting.
ORDER = [
    "speaker.request",
    "speaker.withdraw",
    "ballot.cast",
    "agenda.goto",
    "note.add",
    "attendance.mark",
    "speaker.next",
    "poll.open",
    "poll.close",
    "poll.reopen",
    "meeting.close",
]


def test_every_command_has_a_row() -> None:
    assert set(ORDER) == set(MESSAGES), "update ORDER for new commands"
    missing = sorted(set(MESSAGES) - set(WS_ACCESS))
    stale = sorted(set(WS_ACCESS) - set(MESSAGES) - {"connect"})
    assert not missing, "websocket commands without a row in cms/access.py WS_ACCESS: " + ", ".join(
        missing
    )
    assert not stale, "rows of WS_ACCESS naming no command: " + ", ".join(stale)


def _frames(world: World, letter: str) -> dict[str, dict[str, Any]]:
    side = world.side(letter)
    meeting = side.meeting_pub
    item = meeting.items.order_by("pk").first()
    poll = item.poll if item is not None else None
    option = poll.options.order_by("pk").first() if poll is not None else None
    tenant = side.community.members.filter(user=world.users["tenant"]).first() or side.author
    return {
        "speaker.request": {},
        "speaker.withdraw": {},
        "ballot.cast": {"poll": poll.pk, "choice": option.pk},  # type: ignore[union-attr]
        "agenda.goto": {"item": item.pk},  # type: ignore[union-attr]
        "note.add": {"item": item.pk, "text": "矩阵测试记录"},  # type: ignore[union-attr]
        "attendance.mark": {"member": tenant.pk, "present": True},
        "speaker.next": {},
        "poll.open": {"poll": poll.pk},  # type: ignore[union-attr]
        "poll.close": {"poll": poll.pk},  # type: ignore[union-attr]
        "poll.reopen": {"poll": poll.pk},  # type: ignore[union-attr]
        "meeting.close": {},
    }


def _cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _connect(meeting_id: int, cookie: str | None) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/meetings/{meeting_id}/", headers)
    connected, _code = await communicator.connect(timeout=30)
    if connected:
        await communicator.receive_json_from(timeout=30)  # the snapshot
    return communicator, connected


async def _answers(communicator: WebsocketCommunicator, ref: str) -> list[dict[str, Any]]:
    """Every frame up to the probe's answer."""
    await communicator.send_json_to({"type": "matrix.probe", "ref": f"{ref}-probe"})
    seen = []
    while True:
        # The timeout only stops a broken consumer from hanging the suite.
        frame = await communicator.receive_json_from(timeout=60)
        if frame.get("ref") == f"{ref}-probe":
            return seen
        seen.append(frame)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_websocket_matrix() -> None:
    world = await sync_to_async(build_world)()
    frames = await sync_to_async(_frames)(world, "A")
    cookies = {
        actor.key: await sync_to_async(_cookie)(world.users[actor.key])
        for actor in ACTORS
        if actor.signed_in
    }
    problems: list[str] = []
    tried = 0
    meetings = [
        Target("A.meeting.priv", world.a.meeting_priv, "A", False),
        Target("B.meeting.priv", world.b.meeting_priv, "B", False),
        Target("A.meeting.pub", world.a.meeting_pub, "A", True),
    ]
    # Committee staff of A last: their commands close A's poll and meeting.
    actors: list[Actor] = sorted(ACTORS, key=lambda a: a.key == "committee")
    for target in meetings:
        for actor in actors:
            communicator, connected = await _connect(target.obj.pk, cookies.get(actor.key))
            try:
                want = allows(WS_ACCESS["connect"], actor, target)
                if connected != want:
                    problems.append(
                        f"connect [{target.label}] as {actor.key}: "
                        f"{'ALLOWED' if connected else 'refused'}, table: {WS_ACCESS['connect']}"
                    )
                if not connected or not target.published:
                    continue
                for command in ORDER:
                    ref = f"{actor.key}-{command}"
                    await communicator.send_json_to(
                        {"type": command, "ref": ref, **frames[command]}
                    )
                    answers = await _answers(communicator, ref)
                    tried += 1
                    errors = [
                        f for f in answers if f.get("type") == "error" and f.get("ref") == ref
                    ]
                    if any(f.get("code") == "server_error" for f in errors):
                        problems.append(f"{command} [{target.label}] as {actor.key}: server_error")
                    refused = any(f.get("code") == "forbidden" for f in errors)
                    want = allows(WS_ACCESS[command], actor, target)
                    if refused == want:
                        problems.append(
                            f"{command} [{target.label}] as {actor.key}: "
                            f"{'refused' if refused else 'ALLOWED'} {errors}, "
                            f"table: {WS_ACCESS[command]}"
                        )
            finally:
                with contextlib.suppress(Exception):
                    await communicator.disconnect(timeout=2)
    assert not problems, "websocket matrix:\n  " + "\n  ".join(problems)
    # Everyone connects to the public meeting and tries every command there.
    assert tried == len(ACTORS) * len(ORDER)
