"""The floor consumer at ``/ws/floor/<poll id>/``: one row, one transaction, one tally per ballot.

It speaks the frames of Sifang's protocol that the benchmark uses: ``state`` on connect,
``poll.open`` → ``poll.opened`` to everyone, ``ballot.cast`` → ``ballot.accepted`` or ``error``,
and a ``tally`` to the whole group after every accepted ballot. No roles, no batching, no
coalescing: the point is to be the plain way of doing it.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import IntegrityError

from . import table


def _dump(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


class FloorConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            await self.close(code=4403)
            return
        self.user_id = user.pk
        self.poll_id = int(self.scope["url_route"]["kwargs"]["poll_id"])
        self.group = f"floor-{self.poll_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        count = await database_sync_to_async(table.ballot_count)(poll_id=self.poll_id)
        await self.send(
            text_data=_dump(
                {
                    "type": "state",
                    "seq": count,
                    "poll": {"id": self.poll_id, "status": "open"},
                    "tally": {"poll": self.poll_id, "ballots": count},
                }
            )
        )

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "")
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            await self.send(text_data=_dump({"type": "error", "code": "bad_request"}))
            return
        ref = message.get("ref")
        if kind == "poll.open":
            await self.channel_layer.group_send(
                self.group, {"type": "floor.frame", "frame": {"type": "poll.opened", "seq": 0}}
            )
        elif kind == "ballot.cast":
            choice = {k: message[k] for k in ("choice", "choices", "ranking") if k in message}
            try:
                receipt, count = await database_sync_to_async(table.ballot_insert)(
                    poll_id=self.poll_id, user_id=self.user_id, choice=choice
                )
            except IntegrityError:
                await self.send(
                    text_data=_dump({"type": "error", "ref": ref, "code": "already_voted"})
                )
                return
            await self.send(
                text_data=_dump({"type": "ballot.accepted", "ref": ref, "receipt": receipt})
            )
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "floor.frame",
                    "frame": {
                        "type": "tally",
                        "seq": count,
                        "tally": {"poll": self.poll_id, "ballots": count},
                    },
                },
            )
        else:
            await self.send(text_data=_dump({"type": "error", "ref": ref, "code": "unknown_type"}))

    async def floor_frame(self, event: dict[str, Any]) -> None:
        await self.send(text_data=_dump(event["frame"]))
