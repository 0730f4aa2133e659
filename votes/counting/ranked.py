"""Instant run-off (ranked ballots): rounds by headcount, eliminations and their tie-break."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from votes.counting.result import Round
from votes.counting.spec import Entry, OptionSpec, ordered_options


@dataclass(frozen=True)
class RankedOutcome:
    """The run-off's end: a single winner, a tie between the last candidates, or nothing."""

    winner: int | None
    tie: tuple[int, ...]
    final_headcount: int  # the winner's headcount in the last round (0 without a winner)


def instant_runoff(
    options: Sequence[OptionSpec], entries: Sequence[Entry], *, to_the_end: bool = False
) -> tuple[tuple[Round, ...], RankedOutcome]:
    """Instant run-off by headcount; see ``docs/counting.md`` for the tie-break.

    Each round counts every ballot for its highest-ranked continuing option; ballots with none
    left are exhausted. An option with more than half of the continuing headcount wins.
    Otherwise the options with the fewest are eliminated: among several, the one with fewer in
    the most recent earlier round where they differ; still tied after every earlier round, all
    of them are eliminated together, never by list order. If that would eliminate every
    continuing option, the result is a tie between them.

    ``to_the_end`` (rule ``majority``) goes on eliminating until one option is left, so the
    winner's last count is every ballot that prefers it to all others; the winner is the same
    (an option with more than half of the continuing ballots is never the lowest), and its
    count only grows when a ballot ranking it first is added.
    """
    continuing = [o.id for o in ordered_options(options)]
    history: list[dict[int, int]] = []
    rounds: list[Round] = []
    while True:
        counts = dict.fromkeys(continuing, 0)
        exhausted_b = exhausted_h = 0
        alive = set(continuing)
        for entry in entries:
            top = next((i for i in entry.selection if i in alive), None)
            if top is None:
                exhausted_b += entry.ballots
                exhausted_h += entry.headcount
            else:
                counts[top] += entry.headcount
        history.append(counts)
        total = sum(counts.values())
        ordered_counts = tuple((i, counts[i]) for i in continuing)
        if total == 0:
            rounds.append(Round(len(history), ordered_counts, exhausted_b, exhausted_h, ()))
            return tuple(rounds), RankedOutcome(None, (), 0)
        leader = next((i for i in continuing if 2 * counts[i] > total), None)
        if leader is not None and (len(continuing) == 1 or not to_the_end):
            rounds.append(Round(len(history), ordered_counts, exhausted_b, exhausted_h, ()))
            return tuple(rounds), RankedOutcome(leader, (), counts[leader])
        lowest = min(counts.values())
        tied = [i for i in continuing if counts[i] == lowest]
        for past in reversed(history[:-1]):
            if len(tied) == 1:
                break
            low = min(past[i] for i in tied)
            tied = [i for i in tied if past[i] == low]
        if len(tied) == len(continuing):
            rounds.append(Round(len(history), ordered_counts, exhausted_b, exhausted_h, ()))
            return tuple(rounds), RankedOutcome(None, tuple(continuing), 0)
        rounds.append(Round(len(history), ordered_counts, exhausted_b, exhausted_h, tuple(tied)))
        continuing = [i for i in continuing if i not in tied]
