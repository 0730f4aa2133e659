"""A bounded send buffer for each websocket daphne serves.

daphne hands every frame the consumer sends to autobahn, which writes it to the Twisted
transport. A transport whose peer does not read keeps what it cannot send in an in-memory buffer
without limit; daphne's keepalive ping drops such a peer only after ``--ping-interval`` plus
``--ping-timeout`` (50 s by default), and until then the server's memory grows with every frame.

Twisted's producer API is the public way to learn about it: a streaming producer registered on
the transport is paused when the transport holds more than its ``bufferSize`` (64 KiB) unsent,
and resumed once it has sent everything. :class:`BoundedWebSocketProtocol` registers a
:class:`SendBudget` as that producer and counts the bytes of the frames written while paused.
When more than ``SIFANG_WS_MAX_BUFFERED_BYTES`` are pending, it drops the frame and closes the
connection with 1013 (try again later); the client reconnects and gets a fresh ``state`` from
the database, so nothing is lost. A connection thus holds at most about 64 KiB + the limit + one
frame.

The same class closes a connection that sends a frame over daphne's maximum message size with
1009 and a reason, where autobahn would drop the TCP connection (``failByDrop``).

daphne has no option to choose its websocket protocol class, so :func:`install` replaces the
``protocol`` class attribute of ``daphne.ws_protocol.WebSocketFactory``, which daphne's server
instantiates for every upgraded connection. ``config.asgi`` and ``bench.asgi`` call it on import,
which covers every way we run daphne (``daphne ... config.asgi:application``, ``manage.py
runserver``), since daphne imports the application before it accepts a connection.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

CLOSE_TRY_AGAIN_LATER = 1013


try:
    from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
    from twisted.internet.interfaces import IPushProducer
    from zope.interface import classImplements
except ImportError:  # served by another ASGI server: nothing to bound here
    WebSocketFactory = WebSocketProtocol = None


class SendBudget:
    """How far one connection's peer is behind, as Twisted reports it.

    Registered as the transport's streaming producer: ``pauseProducing`` when the transport's
    write buffer is over its size, ``resumeProducing`` when it has drained completely,
    ``stopProducing`` when the connection is gone.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.paused = False
        self.pending = 0  # bytes written since the transport paused us

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False
        self.pending = 0

    def stopProducing(self) -> None:
        self.paused = True

    def admit(self, size: int) -> bool:
        """Whether a frame of ``size`` bytes may be written now. A frame written while the peer
        is behind counts towards the limit; one that would take it over the limit is refused."""
        if not self.paused:
            return True
        if self.pending + size > self.limit:
            return False
        self.pending += size
        return True


if WebSocketProtocol is not None:
    classImplements(SendBudget, IPushProducer)

    class BoundedWebSocketProtocol(WebSocketProtocol):
        """daphne's websocket protocol with a :class:`SendBudget` on its transport."""

        send_budget: SendBudget | None = None
        closed_as_slow = False
        # autobahn's default (``failByDrop``) answers a frame over daphne's
        # ``--websocket-max-message-size``, or any protocol error, by dropping the TCP
        # connection: the client sees 1006 and cannot tell why. Closing with the code instead
        # (1009 "message too big", with autobahn's reason naming both sizes) lets it know; a
        # peer that does not answer the close is dropped after ``closeHandshakeTimeout``.
        # autobahn copies a factory option onto the protocol only when the protocol has no
        # attribute of that name, so this class attribute wins.
        failByDrop = False

        def connectionMade(self) -> None:
            super().connectionMade()
            self.send_budget = SendBudget(settings.SIFANG_WS_MAX_BUFFERED_BYTES)
            # daphne upgrades the connection from twisted.web's HTTPChannel, which registered
            # itself as this transport's producer and never unregisters: take its place.
            self.transport.unregisterProducer()
            self.transport.registerProducer(self.send_budget, True)

        def sendMessage(
            self, payload: bytes, isBinary: bool = False, *args: Any, **kwargs: Any
        ) -> None:
            if self.closed_as_slow:
                # Closing: drop what the application still sends (autobahn would raise
                # Disconnected into the consumer).
                return
            budget = self.send_budget
            if budget is not None and not budget.admit(len(payload)):
                self.close_as_slow(budget.pending + len(payload))
                return
            super().sendMessage(payload, isBinary, *args, **kwargs)

        def close_as_slow(self, pending: int) -> None:
            """Close a connection whose peer is more than the limit behind."""
            self.closed_as_slow = True
            logger.warning(
                "closing websocket %s (%s): %d bytes waiting for a peer that does not read",
                self.client_addr,
                getattr(self, "path", b"").decode("ascii", "replace"),
                pending,
            )
            # sendClose() refuses 1013; daphne itself closes with sendCloseFrame (1011).
            self.sendCloseFrame(code=CLOSE_TRY_AGAIN_LATER, reasonUtf8=b"too far behind")
            # autobahn drops the TCP connection (discarding the buffer) when the peer does not
            # answer the close within closeHandshakeTimeout; without that timeout, drop it now.
            if (self.closeHandshakeTimeout or 0) <= 0:
                self.dropConnection(abort=True)


def install() -> bool:
    """Make daphne serve websockets with :class:`BoundedWebSocketProtocol`. Idempotent; returns
    False when daphne is not importable."""
    if WebSocketFactory is None:
        return False
    # Relies on daphne's WebSocketFactory.protocol class attribute (daphne 4.x): its server
    # builds every websocket protocol from it, and offers no setting for the class.
    WebSocketFactory.protocol = BoundedWebSocketProtocol
    return True
