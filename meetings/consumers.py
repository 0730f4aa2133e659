"""The live-meeting websocket consumer at ``/ws/meetings/<id>/`` (DESIGN.md "Live meetings").

Thin: it authenticates (the session, through ``AuthMiddlewareStack``; origins are checked by
``AllowedHostsOriginValidator`` in ``config.asgi``), decides the role once per connection,
validates each frame against ``protocol``, calls a service, and relays group frames as the text
the broadcaster serialised once.

Ballots are queued per process and committed in small batches (group commit, ``batching``)
through ``services.meeting_ballots_cast``; ``ballot.accepted`` goes out only after the batch
committed.

A client that stops reading does not hold up the others: group sends go through the channel
layer, which drops messages for a channel whose queue is full (``capacity``), so a slow
consumer's backlog is bounded and the sender never waits for it; what daphne holds for its
socket is bounded by ``config.daphne_backpressure``.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from meetings import broadcast, commands, protocol, rules, selectors, services
from meetings.batching import batcher
from meetings.models import Meeting

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_SIGNED_OUT = 4401


def _fault_before_ack(ref: Any, outcome: services.MeetingCastOutcome) -> None:
    """Fault injection (tests/integration only, ``SIFANG_FAULT_KILL_BEFORE_ACK_REF``): die
    between the commit of the ballot cast with that ref and its ``ballot.accepted``, the
    crash window in which a receipt is lost unless the client re-sends its ref. ``*`` matches
    any ref (a page makes its own)."""
    wanted = settings.SIFANG_FAULT_KILL_BEFORE_ACK_REF
    if wanted and outcome.receipt and not outcome.replayed and wanted in ("*", str(ref)):
        logger.warning("fault injection: killing the worker before acknowledging %s", ref)
        os.kill(os.getpid(), signal.SIGKILL)


class MeetingConsumer(AsyncWebsocketConsumer):
    meeting_id: int
    role: str
    joined: list[str]

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first hops onto the one database thread to close stale connections,
        # for every message: a tally relayed to a thousand sockets became a thousand hops queued
        # behind the ballot batches. Every database call here goes through
        # database_sync_to_async, which closes stale connections on its own hop, so skip it.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        """Join the meeting's groups, then decide the role and build the ``state`` in one trip
        to the database thread (every handshake of a room queues on that one thread).

        Joined first, snapshot second: a frame sent in between is newer than the snapshot, or
        dropped by the client for its ``seq``; group frames wait in the layer until this
        returns. Participants and observers are in the public group before the role is known;
        a facilitator moves to the staff group and gets a snapshot taken after that.
        """
        self.joined = []
        self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        self.user = self.scope.get("user")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        wanted = (query.get("role") or [None])[0]
        groups = [broadcast.group_public(self.meeting_id)]
        session = self.scope.get("session")
        session_key = getattr(session, "session_key", None)
        if session_key and getattr(self.user, "is_authenticated", False):
            groups.append(broadcast.group_session(session_key))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        role, state = await database_sync_to_async(selectors.meeting_connect)(
            meeting_id=self.meeting_id, user=self.user, wanted=wanted
        )
        if role is None or state is None:
            await self.disconnect(CLOSE_FORBIDDEN)
            await self.close(code=CLOSE_FORBIDDEN)  # before accept: the handshake is refused
            return
        self.role = role
        if role == "facilitator":
            staff = broadcast.group_staff(self.meeting_id)
            await self.channel_layer.group_add(staff, self.channel_name)
            self.joined.append(staff)
            public = broadcast.group_public(self.meeting_id)
            await self.channel_layer.group_discard(public, self.channel_name)
            self.joined.remove(public)
            state = await database_sync_to_async(selectors.meeting_state)(
                Meeting(pk=self.meeting_id), self.user, role=role
            )
        await self.accept()
        await self.send(text_data=broadcast.encode(state))

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []

    async def send_error(self, code: str, message: str = "", ref: Any = None) -> None:
        await self.send(text_data=broadcast.encode(protocol.error_frame(code, message, ref)))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if text_data is None:
                raise protocol.ProtocolError("bad_request", _("只接受文本消息"))
            message = protocol.parse(text_data, max_bytes=settings.SIFANG_WS_MAX_FRAME_BYTES)
        except protocol.ProtocolError as exc:
            await self.send_error(exc.code, exc.message, exc.ref)
            return
        if not rules.may(self.role, message.type):
            await self.send_error("forbidden", ref=message.ref)
            return
        if isinstance(message, protocol.BallotCast):
            await self.cast(message)
            return
        try:
            await database_sync_to_async(commands.command_execute)(
                meeting_id=self.meeting_id, user=self.user, message=message
            )
        except commands.CommandRefused as exc:
            await self.send_error(exc.code, exc.message, message.ref)
        except Exception:
            logger.exception("live meeting %s: %s failed", self.meeting_id, message.type)
            await self.send_error("server_error", ref=message.ref)

    async def cast(self, message: protocol.BallotCast) -> None:
        cast = services.MeetingCast(
            meeting_id=self.meeting_id,
            poll_id=message.poll,
            user_id=self.user.pk,
            choice=message.payload(),
            ref=message.ref,
        )
        outcome = await batcher().submit(cast)
        _fault_before_ack(message.ref, outcome)
        if outcome.receipt:
            await self.send(
                text_data=broadcast.encode(
                    {
                        "type": "ballot.accepted",
                        "ref": message.ref,
                        "poll": message.poll,
                        "receipt": outcome.receipt,
                    }
                )
            )
        else:
            code = outcome.code or "server_error"
            if code not in protocol.ERROR_CODES:
                code = "bad_request"
            await self.send_error(code, outcome.message, message.ref)

    # --- group messages ----------------------------------------------------------------

    async def meeting_frame(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])

    async def layer_resumed(self, event: dict[str, Any]) -> None:
        """The channel layer is back after a Redis outage (``config.channel_layer``): frames
        broadcast meanwhile are lost, so send a fresh ``state``, which the page applies like any
        other (no banner, no error)."""
        state = await database_sync_to_async(selectors.meeting_state)(
            Meeting(pk=self.meeting_id), self.user, role=self.role
        )
        await self.send(text_data=broadcast.encode(state))

    async def session_logout(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SIGNED_OUT)
