"""Several workers (issue 5, point 6): two daphne processes share PostgreSQL and the Redis
channel layer; what happens on one reaches clients of the other."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import is_type, tally_at_least, ws_connect

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def test_ballot_on_one_worker_reaches_the_projector_on_the_other(
    live_database, workers
) -> None:
    db = live_database(2)
    seed = db.seed
    meeting, poll = seed["meeting"], seed["poll"]
    first, second = workers(db), workers(db)

    facilitator = await ws_connect(first, meeting, seed["facilitator_session"])
    voter_a = await ws_connect(first, meeting, seed["sessions"][0])
    voter_b = await ws_connect(second, meeting, seed["sessions"][1])
    projector = await ws_connect(second, meeting, query="role=observer")  # anonymous, public
    clients = [facilitator, voter_a, voter_b, projector]
    try:
        for client in clients:
            await client.until(is_type("state"))
        assert (await projector.until(is_type("state")))["role"] == "observer"

        # The facilitator on worker 1 opens the poll; the projector on worker 2 hears it.
        await facilitator.send({"type": "poll.open", "poll": poll, "ref": "open"})
        opened = await projector.until(is_type("poll.opened"))
        assert opened["poll"]["id"] == poll and opened["poll"]["status"] == "open"

        # A participant on worker 1 votes; the projector on worker 2 sees the tally count it.
        await voter_b.until(is_type("poll.opened"))
        await voter_a.send(
            {"type": "ballot.cast", "poll": poll, "choice": seed["options"][0], "ref": "a"}
        )
        accepted = await voter_a.until(is_type("ballot.accepted", ref="a"))
        assert accepted["receipt"] in db.receipts(poll)
        tally = await projector.until(tally_at_least(poll, 1))
        assert tally["type"] == "tally"

        # And the other way round: a vote on worker 2 reaches the facilitator on worker 1.
        await voter_b.send(
            {"type": "ballot.cast", "poll": poll, "choice": seed["options"][1], "ref": "b"}
        )
        await voter_b.until(is_type("ballot.accepted", ref="b"))
        staff_tally = await facilitator.until(tally_at_least(poll, 2))
        counts = staff_tally["tally"]
        assert counts["ballots"] == 2
        await projector.until(tally_at_least(poll, 2))
        assert len(db.receipts(poll)) == 2
    finally:
        await asyncio.gather(*(c.close() for c in clients))
