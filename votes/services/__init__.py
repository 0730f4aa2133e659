"""Every write of the votes app. See ``polls`` (lifecycle), ``casting`` (ballots) and
``chain`` (publishing chain heads).

``poll_tally`` (a read, in ``votes.tally``) is re-exported for the callers that count a poll
through this package.
"""

from votes.services.casting import (
    CastOutcome,
    CastReceipt,
    CastRequest,
    ballot_cast,
    ballots_cast_batch,
    normalise_choice,
    proxy_register,
)
from votes.services.chain import poll_publish_chain_head, polls_publish_chain_heads
from votes.services.objections import objection_answer, objection_record
from votes.services.polls import (
    DueClosing,
    poll_close,
    poll_close_if_due,
    poll_create,
    poll_extend,
    poll_finalise,
    poll_open,
    poll_pause,
    poll_reopen,
    poll_reopenable,
    poll_resume,
    poll_update,
    polls_close_due,
)
from votes.tally import poll_tally

__all__ = [
    "CastOutcome",
    "CastReceipt",
    "CastRequest",
    "DueClosing",
    "ballot_cast",
    "ballots_cast_batch",
    "normalise_choice",
    "objection_answer",
    "objection_record",
    "poll_close",
    "poll_close_if_due",
    "poll_create",
    "poll_extend",
    "poll_finalise",
    "poll_open",
    "poll_pause",
    "poll_publish_chain_head",
    "poll_reopen",
    "poll_reopenable",
    "poll_resume",
    "poll_tally",
    "poll_update",
    "polls_close_due",
    "polls_publish_chain_heads",
    "proxy_register",
]
