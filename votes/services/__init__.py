"""Every write of the votes app. See ``polls`` (lifecycle) and ``casting`` (ballots)."""

from .casting import (
    CastOutcome,
    CastReceipt,
    CastRequest,
    ballot_cast,
    ballots_cast_batch,
    normalise_choice,
    proxy_register,
)
from .polls import (
    poll_close,
    poll_create,
    poll_extend,
    poll_finalise,
    poll_open,
    poll_tally,
    poll_update,
)

__all__ = [
    "CastOutcome",
    "CastReceipt",
    "CastRequest",
    "ballot_cast",
    "ballots_cast_batch",
    "normalise_choice",
    "poll_close",
    "poll_create",
    "poll_extend",
    "poll_finalise",
    "poll_open",
    "poll_tally",
    "poll_update",
    "proxy_register",
]
