"""Which ballots a suspended poll refuses (pure: reads the poll's ``suspension`` only).

A paused poll refuses every channel; an outage of the online channel refuses online ballots
only, so staff go on entering paper, proxy, in-person (and phone) ballots while it lasts. The
one-ballot-per-voter constraint reconciles the two afterwards: an owner whose paper ballot was
entered during the outage is refused ``already_voted`` online once it is over.
"""

from __future__ import annotations

from votes.models import BallotChannel, Poll, PollSuspension

PAUSED_CODE = "poll_paused"


def suspension_refusal(poll: Poll, channel: str) -> str | None:
    """The refusal code for a ballot on ``channel`` while ``poll`` is suspended, else None."""
    if poll.suspension == PollSuspension.PAUSED:
        return PAUSED_CODE
    if poll.suspension == PollSuspension.OUTAGE and channel == BallotChannel.ONLINE:
        return PAUSED_CODE
    return None
