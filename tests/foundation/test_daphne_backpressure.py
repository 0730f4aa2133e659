"""The bounded websocket send buffer (``config.daphne_backpressure``), without a server: Twisted's
``StringTransport`` stands in for the socket and the test pauses the producer as a full transport
would. tests/integration/test_faults.py checks it against a real daphne and a socket that does
not read."""

from __future__ import annotations

import struct

import pytest
from daphne.ws_protocol import WebSocketFactory
from twisted.internet.testing import StringTransport
from zope.interface.verify import verifyObject

from config import daphne_backpressure
from config.daphne_backpressure import BoundedWebSocketProtocol, SendBudget


@pytest.mark.parametrize(
    ("paused", "pending", "size", "admitted", "pending_after"),
    [
        (False, 0, 5_000, True, 0),  # the peer keeps up: nothing is counted
        (True, 0, 400, True, 400),
        (True, 600, 400, True, 1_000),  # exactly at the limit
        (True, 900, 200, False, 900),  # over it: refused, not counted
        (True, 0, 1_001, False, 0),  # one frame bigger than the limit
    ],
)
def test_send_budget_counts_only_what_is_written_while_paused(
    paused: bool, pending: int, size: int, admitted: bool, pending_after: int
) -> None:
    budget = SendBudget(1_000)
    budget.paused, budget.pending = paused, pending
    assert budget.admit(size) is admitted
    assert budget.pending == pending_after


def test_send_budget_is_a_push_producer_reset_when_the_transport_drains() -> None:
    from twisted.internet.interfaces import IPushProducer

    budget = SendBudget(100)
    assert verifyObject(IPushProducer, budget)
    budget.pauseProducing()
    assert budget.admit(80)
    budget.resumeProducing()
    assert (budget.paused, budget.pending) == (False, 0)
    assert budget.admit(80) and budget.pending == 0


def test_importing_the_asgi_app_makes_daphne_build_the_bounded_protocol() -> None:
    import config.asgi  # noqa: F401

    assert WebSocketFactory.protocol is BoundedWebSocketProtocol
    assert daphne_backpressure.install() is True  # idempotent
    assert WebSocketFactory.protocol is BoundedWebSocketProtocol


class _HttpChannel:
    """What twisted.web's HTTPChannel leaves registered on the transport after the upgrade."""

    def pauseProducing(self) -> None: ...
    def resumeProducing(self) -> None: ...
    def stopProducing(self) -> None: ...


def _open_protocol(settings, limit: int) -> tuple[BoundedWebSocketProtocol, StringTransport]:
    settings.SIFANG_WS_MAX_BUFFERED_BYTES = limit
    factory = WebSocketFactory(server_class=None, server="test")
    protocol = BoundedWebSocketProtocol()
    protocol.factory = factory
    transport = StringTransport()
    transport.registerProducer(_HttpChannel(), True)
    protocol.makeConnection(transport)
    # Skip the opening handshake: the test is about what happens once frames flow.
    protocol.state = protocol.STATE_OPEN
    protocol.client_addr = ["127.0.0.1", 50000]
    transport.clear()
    return protocol, transport


def test_a_peer_that_keeps_up_gets_every_frame(settings) -> None:
    protocol, transport = _open_protocol(settings, 1_000)
    assert transport.producer is protocol.send_budget
    for _ in range(10):
        protocol.serverSend("x" * 500)
    assert transport.value().count(b"x" * 500) == 10
    assert protocol.state == protocol.STATE_OPEN


def test_a_peer_too_far_behind_is_closed_with_1013_and_its_frames_dropped(settings) -> None:
    protocol, transport = _open_protocol(settings, 1_000)
    protocol.send_budget.pauseProducing()  # what a transport over its buffer size does
    protocol.serverSend("a" * 600)
    protocol.serverSend("b" * 400)
    assert protocol.state == protocol.STATE_OPEN
    protocol.serverSend("c" * 10)  # 1,010 bytes behind: over the limit

    sent = transport.value()
    assert b"a" * 600 in sent and b"b" * 400 in sent and b"c" * 10 not in sent
    reason = b"too far behind"
    assert sent.endswith(bytes([0x88, 2 + len(reason)]) + struct.pack("!H", 1013) + reason)
    assert protocol.state == protocol.STATE_CLOSING and protocol.closed_as_slow
    # What the application still sends is dropped without raising into the consumer.
    protocol.serverSend("d" * 10)
    assert transport.value() == sent
    if protocol.closeHandshakeTimeoutCall is not None:
        protocol.closeHandshakeTimeoutCall.cancel()
