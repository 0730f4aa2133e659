"""When a live client tries again after its socket dropped: exponential back-off, full jitter.

A worker restart or a Redis restart drops every socket of a meeting at the same moment. If every
page retried on the same schedule, a thousand handshakes would hit the restarted worker in the
same few milliseconds, again and again. With *full jitter* each retry waits a uniformly random
time between 0 and an exponentially growing ceiling (``base · 2^attempt``, capped at ``cap``),
which spreads the herd over the whole window; the cap keeps the wait short enough that a
participant is back within seconds once the server is, and a page never gives up while it is open.

The page's script (``cms/static/cms/js/backoff.js``) computes exactly this with the same
constants, which the page passes it (``data-backoff-base-ms`` / ``data-backoff-cap-ms``);
``bench/live_vote.py`` uses this function for its clients. ``tests/meetings/test_reconnect.py``
runs both on the same random numbers.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable

RECONNECT_BASE_S = 0.5
RECONNECT_CAP_S = 5.0


def reconnect_ceiling(
    attempt: int, *, base: float = RECONNECT_BASE_S, cap: float = RECONNECT_CAP_S
) -> float:
    """The longest wait before retry number ``attempt`` (0 for the first retry), in seconds."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    # 2 ** attempt overflows nothing here: past the cap the exponent no longer matters.
    return min(cap, base * 2 ** min(attempt, 32))


def reconnect_delay(
    attempt: int,
    *,
    random: Callable[[], float] = _random.random,
    base: float = RECONNECT_BASE_S,
    cap: float = RECONNECT_CAP_S,
) -> float:
    """Seconds to wait before retry number ``attempt``: uniform in [0, ceiling) (full jitter).

    ``random`` returns a float in [0, 1), like ``random.random`` (pass a seeded one in tests).
    """
    return random() * reconnect_ceiling(attempt, base=base, cap=cap)
