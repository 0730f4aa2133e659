"""Load a poll's frozen spec, electorate and ballots as plain data; count with ``votes.counting``.

The counting rules live in ``votes.counting`` (pure, no ORM); this module only translates.
"""

from __future__ import annotations

from typing import Any

from votes.models import Ballot, Poll
from votes.selectors import ballots_by_channel


def count_poll(poll: Poll) -> dict[str, Any]:
    """Count the poll's stored ballots against its frozen spec and electorate."""
    from votes import counting

    spec = poll.frozen_spec or {}
    frozen = Poll.objects.filter(pk=poll.pk).values_list("frozen_electorate", flat=True).get()
    ballots = list(
        Ballot.objects.filter(poll_id=poll.pk)
        .order_by("seq")
        .values_list("seq", "voter_key", "choice", "headcount", "area", "channel")
    )
    result = counting.count_frozen(spec=spec, electorate=frozen or [], ballots=ballots)
    data = result.to_dict()
    data["by_channel"] = ballots_by_channel(poll)
    return data
