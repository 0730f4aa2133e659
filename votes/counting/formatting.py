"""How counted numbers are shown: exact fractions, percents that never contradict their
comparison, areas to 0.01 m², the verdict's label (a Chinese msgid)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from votes.counting.spec import CountingError, Verdict


def fraction_str(value: Fraction) -> str:
    """Always ``"n/d"`` (``"1/1"`` for one, ``"0/1"`` for zero)."""
    return f"{value.numerator}/{value.denominator}"


def _round_half_up(value: Fraction, decimals: int) -> int:
    scale = 10**decimals
    return math.floor(value * 100 * scale + Fraction(1, 2))


def percent_str(value: Fraction, decimals: int = 1) -> str:
    """``value`` as a percent with ``decimals`` decimals, rounded half up: 2/3 → "66.7"."""
    scaled = _round_half_up(value, decimals)
    if decimals == 0:
        return str(scaled)
    whole, frac = divmod(scaled, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def honest_percent(value: Fraction, required: Fraction, *, met: bool, inclusive: bool) -> str:
    """A percent that never contradicts the comparison it illustrates.

    One decimal, unless rounding would put the shown number on the wrong side of the
    threshold (66.66...% just below 2/3 would show as "66.7%"): then as many decimals as
    needed (up to 12); a value exactly on a strict threshold is rounded towards its side
    (2/3 against "more than 2/3" shows "66.66%").
    """
    req = required * 100
    for decimals in range(1, 13):
        shown = Fraction(_round_half_up(value, decimals), 10**decimals)
        if met:
            ok = shown >= req if inclusive else shown > req
        else:
            ok = shown < req if inclusive else shown <= req
        if ok:
            return percent_str(value, decimals)
    # Half-up rounding lands on the wrong side at every precision only when the value sits on
    # the threshold itself (exactly 2/3 against "more than 2/3"): round towards the true side,
    # two decimals so that the shown number stays within display rounding of the value.
    scaled = value * 100 * 100
    directed = math.ceil(scaled) if met else math.floor(scaled)
    whole, frac = divmod(directed, 100)
    return f"{whole}.{frac:02d}"


def area_str(value: Fraction | Decimal) -> str:
    """An area (a multiple of 0.01 m²) as ``"1234.50"``."""
    cents = Fraction(value) * 100
    if cents.denominator != 1:  # pragma: no cover - areas are validated as 0.01 multiples
        raise CountingError(f"area {value} is not a multiple of 0.01")
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents.numerator), 100)
    return f"{sign}{whole}.{frac:02d}"


def verdict_label(verdict: str) -> str:
    """The verdict as shown; ``verdict`` is a ``Verdict`` or its stored value."""
    labels: dict[str, str] = {
        Verdict.PASSED: _("通过"),
        Verdict.FAILED: _("未通过"),
        Verdict.NO_VERDICT: _("未形成表决结论"),
        Verdict.UNDECIDED: _("票数相同，未能决定"),
    }
    return labels.get(verdict, verdict)
