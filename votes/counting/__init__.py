"""Counting a poll: pure functions, no database (the rules are in ``docs/counting.md``).

Input is plain data: a ``PollSpec`` (frozen at open), the frozen electorate as ``Voter``s and
the ``CastBallot``s. ``count(spec, voters, ballots)`` returns a ``Result`` whose
``to_dict()`` is what ``Poll.result`` stores and the result page, minutes and API show.

Arithmetic is integers and ``Fraction``s only; areas are ``Decimal`` multiples of 0.01 m² and
are turned into ``Fraction`` exactly. Floats are refused with ``CountingError``.

Adapters for the stored forms used by ``votes.tally`` and ``votes.electorate``:
``count_frozen(spec=..., electorate=..., ballots=...)`` and
``owner_voters_frozen(units=..., owners=...)``.

Modules, each importing only those above it:

- ``spec``: the vocabulary, ``Verdict``, ``CountingError``, the input dataclasses and checks;
- ``formatting``: fractions, percents, areas and verdicts as shown;
- ``result``: the output dataclasses (``Tally``, ``Threshold``, ``Round``, ``Result``...);
- ``ranked``: instant run-off;
- ``thresholds``: art. 278, majority and plurality rules, and the tally under them;
- ``deemed``: non-voters deemed to side with the majority;
- ``counter``: ``count``, the entry point;
- ``owners``: owner voters per SPC interpretation arts. 8–9;
- ``frozen``: the adapters for the stored forms.

This package re-exports the public API below; everything else is internal to it.
"""

from votes.counting.counter import count
from votes.counting.formatting import (
    area_str,
    fraction_str,
    honest_percent,
    percent_str,
    verdict_label,
)
from votes.counting.frozen import count_frozen, owner_voters_frozen
from votes.counting.owners import build_owner_voters
from votes.counting.ranked import instant_runoff
from votes.counting.result import OptionCount, Result, Round, Share, Tally, Threshold
from votes.counting.spec import (
    COUNTING_VERSION,
    CastBallot,
    CountingError,
    OptionSpec,
    PollSpec,
    UnitRecord,
    Verdict,
    Voter,
    accepts_blank,
    to_area,
)
from votes.counting.thresholds import participation_thresholds

__all__ = [
    "COUNTING_VERSION",
    "CastBallot",
    "CountingError",
    "OptionCount",
    "OptionSpec",
    "PollSpec",
    "Result",
    "Round",
    "Share",
    "Tally",
    "Threshold",
    "UnitRecord",
    "Verdict",
    "Voter",
    "accepts_blank",
    "area_str",
    "build_owner_voters",
    "count",
    "count_frozen",
    "fraction_str",
    "honest_percent",
    "instant_runoff",
    "owner_voters_frozen",
    "participation_thresholds",
    "percent_str",
    "to_area",
    "verdict_label",
]
