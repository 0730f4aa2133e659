"""Non-voters deemed to side with the majority (未参与表决视为同意多数).

Off unless the community's adopted rules say so (``PollSpec.deem_nonvoters``); the result then
shows the raw and the deemed tallies side by side and the deemed one decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from django.utils.translation import gettext as _

from votes.counting.formatting import area_str, verdict_label
from votes.counting.result import Result, Tally
from votes.counting.spec import Entry, cents_of
from votes.counting.thresholds import tally


def _deemed_majority(raw: Tally) -> int | None:
    """The option that leads the cast ballots in headcount and in area, or ``None``.

    "多数" is read as the choice most chosen (relative majority, abstention included for
    yes/no polls). If the headcount leader and the area leader differ, or either is tied,
    there is no clear majority and nobody is deemed (see docs/counting.md).
    """
    options = raw.options
    if not options or raw.participating_ballots == 0:
        return None
    best_h = max(o.headcount for o in options)
    best_a = max(o.area for o in options)
    lead_h = [o.id for o in options if o.headcount == best_h]
    lead_a = [o.id for o in options if o.area == best_a]
    if len(lead_h) == 1 and lead_h == lead_a and best_h > 0:
        return lead_h[0]
    return None


def with_deemed(result: Result, entries: Sequence[Entry], at: int) -> Result:
    spec, raw = result.spec, result.raw
    ht = result.electorate_headcount
    non_h = ht - raw.participating_headcount
    non_a = at - cents_of(raw.participating_area)
    majority = _deemed_majority(raw)
    labels = {o.id: o.label for o in spec.options}
    clause = spec.deem_clause or _("本小区议事规则")
    if non_h == 0 and non_a == 0:
        note = _("全体业主均已参与表决，无未参与表决的业主可视为同意多数")
        deemed_entries = list(entries)
    elif majority is None:
        note = _("已表决票中人数最多与面积最多的选项不一致或并列，无法认定多数方，未作视为处理")
        deemed_entries = list(entries)
    else:
        note = _(
            "按%(clause)s，未参与表决的业主(%(count)s 人，%(area)s㎡)视为同意多数方「%(option)s」"
        ) % {
            "clause": clause,
            "count": non_h,
            "area": area_str(Fraction(non_a, 100)),
            "option": labels[majority],
        }
        deemed_entries = [*entries, Entry((majority,), non_h, non_a, ballots=0)]
    deemed = tally(spec, ht, at, deemed_entries)
    raw_line = _("不作视为处理的原始计票结果：%(verdict)s") % {
        "verdict": verdict_label(raw.verdict)
    }
    deemed = Tally(
        options=deemed.options,
        participating_ballots=deemed.participating_ballots,
        participating_headcount=deemed.participating_headcount,
        participating_area=deemed.participating_area,
        share_headcount=deemed.share_headcount,
        share_area=deemed.share_area,
        thresholds=deemed.thresholds,
        verdict=deemed.verdict,
        reasons=(note, *deemed.reasons, raw_line),
        winners=deemed.winners,
        tie=deemed.tie,
    )
    return Result(
        spec=spec,
        electorate_headcount=ht,
        electorate_area=result.electorate_area,
        raw=raw,
        deemed=deemed,
        by_channel=result.by_channel,
        rounds=result.rounds,
        decided_by="deemed",
        deemed_majority=majority if (non_h or non_a) else None,
        deemed_note=note,
        nonvoters_headcount=non_h,
        nonvoters_area=Fraction(non_a, 100),
    )
