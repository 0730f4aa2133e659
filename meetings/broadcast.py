"""Notifications to live clients. The database holds the state; this only tells clients.

- ``broadcast_on_commit(meeting_id, event)``: send a frame to everyone in the meeting once the
  surrounding transaction commits (never before: a client must not see a rolled-back change).
  The frame is serialised once, here, and relayed as text by every consumer.
- ``send_frames`` / ``send_frames_sync``: send frames already serialised (``tallies`` uses them).
- ``session_logout_sync``: close every socket of a signed-out session.

Failures of the channel layer are logged and swallowed: nothing is lost, since every client gets
a fresh ``state`` from the database when it reconnects.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

FRAME = "meeting.frame"  # the consumer method ``meeting_frame`` relays ``text`` as it is


def group_public(meeting_id: int) -> str:
    return f"meeting-{meeting_id}"


def group_staff(meeting_id: int) -> str:
    return f"meeting-{meeting_id}-staff"


def group_session(session_key: str) -> str:
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]
    return f"session-{digest}"


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), default=str)


async def send_frames(meeting_id: int, text: str, staff_text: str | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group_public(meeting_id), {"type": FRAME, "text": text})
        await layer.group_send(group_staff(meeting_id), {"type": FRAME, "text": staff_text or text})
    except Exception:  # the layer is down: clients resync from the database on reconnect
        logger.exception("broadcast to meeting %s failed", meeting_id)


def send_frames_sync(meeting_id: int, text: str, staff_text: str | None = None) -> None:
    try:
        async_to_sync(send_frames)(meeting_id, text, staff_text)
    except Exception:
        logger.exception("broadcast to meeting %s failed", meeting_id)


def broadcast_on_commit(
    meeting_id: int, event: dict[str, Any], *, staff_event: dict[str, Any] | None = None
) -> None:
    """Send ``event`` (a server frame with ``type`` and ``seq``) after the current commit.

    ``staff_event``, when given, is what facilitators get instead (e.g. the counts of a poll
    that does not show a running tally to everyone).
    """
    text = encode(event)
    staff_text = encode(staff_event) if staff_event is not None else None
    transaction.on_commit(lambda: send_frames_sync(meeting_id, text, staff_text))


def session_logout_sync(session_key: str) -> None:
    """Close every live socket of a signed-out session (any process)."""
    layer = get_channel_layer()
    if layer is None or not session_key:
        return
    try:
        async_to_sync(layer.group_send)(group_session(session_key), {"type": "session.logout"})
    except Exception:
        logger.exception("closing sockets of a signed-out session failed")
