"""The tally of a poll: its frozen spec, electorate and ballots loaded as plain data, counted
by ``votes.counting``, with the ballots per channel.

The counting rules live in ``votes.counting`` (pure, no ORM); this module only loads and
translates. Services store its result at close; selectors show it while a poll is open.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from votes.counting import count_frozen
from votes.models import Ballot, Participation, Poll


def ballots_by_channel(poll: Poll) -> dict[str, int]:
    """How many ballots came by each channel (from participations: secret polls too)."""
    counts = Counter(
        Participation.objects.filter(poll_id=poll.pk).values_list("channel", flat=True)
    )
    return dict(sorted(counts.items()))


def poll_tally(poll: Poll) -> dict[str, Any]:
    """Count the poll's stored ballots against its frozen spec and electorate.

    The running count while the poll is open, its result when it closes; the shape of
    ``poll.result`` (``votes.counting.Result.to_dict()`` plus ``by_channel``).
    """
    spec = poll.frozen_spec or {}
    frozen = Poll.objects.filter(pk=poll.pk).values_list("frozen_electorate", flat=True).get()
    ballots = list(
        Ballot.objects.filter(poll_id=poll.pk)
        .order_by("seq")
        .values_list("seq", "voter_key", "choice", "headcount", "area", "channel")
    )
    result = count_frozen(spec=spec, electorate=frozen or [], ballots=ballots)
    data = result.to_dict()
    data["by_channel"] = ballots_by_channel(poll)
    return data
