"""The rules applied to weighted ballots: art. 278 participation and approval, a configured
majority, plurality, the verdict of a run-off; ``tally`` counts entries under the spec's rule.

Every comparison is in integers (``den·part ≥ num·whole``); DESIGN.md "Votes" and
``docs/counting.md`` state the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from django.utils.translation import gettext as _

from votes.counting.formatting import area_str, fraction_str, honest_percent
from votes.counting.ranked import RankedOutcome
from votes.counting.result import OptionCount, Share, Tally, Threshold
from votes.counting.spec import (
    OWNERS_RULES,
    Entry,
    PollSpec,
    Verdict,
    cents_of,
    ordered_options,
)

PARTICIPATION = Fraction(2, 3)  # 民法典 art. 278 ¶2: 三分之二以上 (inclusive, art. 1259)
SPECIAL = Fraction(3, 4)  # 四分之三以上 (inclusive)
ORDINARY = Fraction(1, 2)  # 过半数 (strict, art. 1259)

# What a rule decides: verdict, winners, tied options, options that met the rule on their own.
Outcome = tuple[Verdict, tuple[int, ...], tuple[int, ...], set[int]]


def _op(met: bool, inclusive: bool) -> str:
    if inclusive:
        return "≥" if met else "<"
    return ">" if met else "≤"


def _threshold(
    *,
    key: str,
    label: str,
    part: int,
    whole: int,
    required: Fraction,
    inclusive: bool,
    area: bool,
    option_id: int | None = None,
) -> Threshold:
    """Compare ``part/whole`` with ``required`` in integers: ``den·part ≥/> num·whole``."""
    left = required.denominator * part
    right = required.numerator * whole
    met = left >= right if inclusive else left > right
    value = Fraction(part, whole) if whole else None
    if area:  # part and whole in 0.01 m²
        part_s, whole_s = area_str(Fraction(part, 100)), area_str(Fraction(whole, 100))
        unit = "㎡"
    else:
        part_s, whole_s, unit = str(part), str(whole), ""
    if value is None:
        text = _("%(label)s %(part)s/%(whole)s%(unit)s %(op)s %(required)s") % {
            "label": label,
            "part": part_s,
            "whole": whole_s,
            "unit": unit,
            "op": _op(met, inclusive),
            "required": fraction_str(required),
        }
    else:
        text = _("%(label)s %(part)s/%(whole)s%(unit)s = %(percent)s%% %(op)s %(required)s") % {
            "label": label,
            "part": part_s,
            "whole": whole_s,
            "unit": unit,
            "percent": honest_percent(value, required, met=met, inclusive=inclusive),
            "op": _op(met, inclusive),
            "required": fraction_str(required),
        }
    return Threshold(
        key=key,
        label=label,
        met=met,
        text=text,
        value=value,
        required=required,
        inclusive=inclusive,
        option_id=option_id,
    )


def participation_thresholds(
    *, ht: int, at: int, hp: int, ap: int
) -> tuple[Threshold, Threshold, int, int]:
    """Art. 278 participation so far: headcount and area thresholds (areas in 0.01 m²), and how
    many more owners and 0.01 m² are still needed to reach 2/3 (0 once met). Used while a poll
    runs (the campaign view); the same comparison as the count at close."""
    head = _threshold(
        key="participation_headcount",
        label=_("参与表决人数"),
        part=hp,
        whole=ht,
        required=PARTICIPATION,
        inclusive=True,
        area=False,
    )
    area = _threshold(
        key="participation_area",
        label=_("参与表决面积"),
        part=ap,
        whole=at,
        required=PARTICIPATION,
        inclusive=True,
        area=True,
    )
    # Smallest integer n with 3·n ≥ 2·whole, less what has taken part.
    need_head = max(0, -(-PARTICIPATION.numerator * ht // PARTICIPATION.denominator) - hp)
    need_cents = max(0, -(-PARTICIPATION.numerator * at // PARTICIPATION.denominator) - ap)
    return head, area, need_head, need_cents


def _option_counts(
    spec: PollSpec, entries: Sequence[Entry], hp: int, ap: int, adopted: set[int]
) -> tuple[OptionCount, ...]:
    totals = {o.id: [0, 0, 0] for o in spec.options}
    for entry in entries:
        picked = entry.selection[:1] if spec.method == "ranked" else entry.selection
        for option_id in picked:
            row = totals[option_id]
            row[0] += entry.ballots
            row[1] += entry.headcount
            row[2] += entry.cents
    return tuple(
        OptionCount(
            id=o.id,
            label=o.label,
            meaning=o.meaning,
            ballots=totals[o.id][0],
            headcount=totals[o.id][1],
            area=Fraction(totals[o.id][2], 100),
            share_headcount=Share(Fraction(totals[o.id][1], hp) if hp else None),
            share_area=Share(Fraction(totals[o.id][2], ap) if ap else None),
            adopted=o.id in adopted,
        )
        for o in ordered_options(spec.options)
    )


def tally(
    spec: PollSpec,
    ht: int,
    at: int,
    entries: Sequence[Entry],
    *,
    ranked: RankedOutcome | None = None,
) -> Tally:
    """Count ``entries`` under ``spec``'s rule against the electorate's ``ht`` and ``at``
    (0.01 m²). Ranked polls pass the run-off's ``ranked`` outcome; the rule judges it."""
    hp = sum(e.headcount for e in entries)
    ap = sum(e.cents for e in entries)
    n_ballots = sum(e.ballots for e in entries)
    preliminary = _option_counts(spec, entries, hp, ap, set())
    by_id = {o.id: o for o in preliminary}
    labels = {o.id: o.label for o in spec.options}
    thresholds: list[Threshold] = []
    reasons: list[str] = []
    adopted: set[int] = set()
    winners: tuple[int, ...] = ()
    tie: tuple[int, ...] = ()

    if spec.rule in OWNERS_RULES:
        verdict, winners, tie, adopted = _owners(
            spec, ht, at, hp, ap, by_id, labels, thresholds, reasons
        )
    elif hp == 0:
        verdict = Verdict.NO_VERDICT
        reasons.append(_("无人参与表决，未形成表决结论"))
    elif spec.method == "ranked":
        assert ranked is not None
        verdict, winners, tie, adopted = _ranked_rule(spec, hp, ranked, labels, thresholds, reasons)
    elif spec.rule == "majority":
        verdict, winners, tie, adopted = _majority(spec, hp, by_id, labels, thresholds, reasons)
    else:
        verdict, winners, tie, adopted = _plurality(spec, by_id, labels, thresholds, reasons)

    return Tally(
        options=_option_counts(spec, entries, hp, ap, adopted),
        participating_ballots=n_ballots,
        participating_headcount=hp,
        participating_area=Fraction(ap, 100),
        share_headcount=Share(Fraction(hp, ht) if ht else None),
        share_area=Share(Fraction(ap, at) if at else None),
        thresholds=tuple(thresholds),
        verdict=verdict,
        reasons=tuple(reasons),
        winners=winners,
        tie=tie,
    )


def _yes_id(spec: PollSpec) -> int:
    return next(o.id for o in spec.options if o.meaning == "yes")


def _pick_among_adopted(
    adopted: set[int], by_id: Mapping[int, OptionCount], labels: Mapping[int, str], reasons: list
) -> tuple[Verdict, tuple[int, ...], tuple[int, ...]]:
    """Several options met the rule on their own: the most headcount, then area, wins."""
    best = max((by_id[i].headcount, by_id[i].area) for i in adopted)
    leaders = [i for i in by_id if i in adopted and (by_id[i].headcount, by_id[i].area) == best]
    if len(leaders) == 1:
        reasons.append(
            _("多个选项达到要求，「%(option)s」人数最多(人数相同时比较面积)，采用该选项")
            % {"option": labels[leaders[0]]}
        )
        return Verdict.PASSED, (leaders[0],), ()
    reasons.append(
        _("多个选项达到要求且人数、面积均相同：%(options)s，未能决定")
        % {"options": "、".join(f"「{labels[i]}」" for i in leaders)}
    )
    return Verdict.UNDECIDED, (), tuple(leaders)


def _owners(
    spec: PollSpec,
    ht: int,
    at: int,
    hp: int,
    ap: int,
    by_id: Mapping[int, OptionCount],
    labels: Mapping[int, str],
    thresholds: list[Threshold],
    reasons: list[str],
) -> Outcome:
    """民法典 art. 278: double 2/3 participation, then double 3/4 or double >1/2 approval."""
    part_h, part_a, _need_head, _need_cents = participation_thresholds(ht=ht, at=at, hp=hp, ap=ap)
    thresholds += [part_h, part_a]
    reasons += [part_h.text, part_a.text]
    if not (part_h.met and part_a.met):
        reasons.append(_("未达参与表决要求(人数和面积均须达到三分之二以上)，不对表决事项作出决定"))
        return Verdict.NO_VERDICT, (), (), set()
    special = spec.rule == "owners_special"
    required = SPECIAL if special else ORDINARY
    candidates = [_yes_id(spec)] if spec.method == "yesno" else [o.id for o in by_id.values()]
    adopted: set[int] = set()
    for option_id in candidates:
        suffix = "" if spec.method == "yesno" else f"({labels[option_id]})"
        th_h = _threshold(
            key="approval_headcount",
            label=_("同意人数") + suffix,
            part=by_id[option_id].headcount,
            whole=hp,
            required=required,
            inclusive=special,
            area=False,
            option_id=option_id,
        )
        th_a = _threshold(
            key="approval_area",
            label=_("同意面积") + suffix,
            part=cents_of(by_id[option_id].area),
            whole=ap,
            required=required,
            inclusive=special,
            area=True,
            option_id=option_id,
        )
        thresholds += [th_h, th_a]
        reasons += [th_h.text, th_a.text]
        if th_h.met and th_a.met:
            adopted.add(option_id)
    need = (
        _("须参与表决人数和面积均四分之三以上同意")
        if special
        else _("须参与表决人数和面积均过半数同意")
    )
    if spec.method == "yesno":
        if adopted:
            reasons.append(_("表决通过(%(need)s)") % {"need": need})
            return Verdict.PASSED, tuple(adopted), (), adopted
        reasons.append(_("未获通过(%(need)s)") % {"need": need})
        return Verdict.FAILED, (), (), adopted
    if not adopted:
        reasons.append(_("没有选项同时达到同意人数和同意面积的要求(%(need)s)") % {"need": need})
        return Verdict.FAILED, (), (), adopted
    if len(adopted) == 1:
        (only,) = adopted
        reasons.append(
            _("「%(option)s」获得通过(%(need)s)") % {"option": labels[only], "need": need}
        )
        return Verdict.PASSED, (only,), (), adopted
    verdict, winners, tie = _pick_among_adopted(adopted, by_id, labels, reasons)
    return verdict, winners, tie, adopted


def _majority(
    spec: PollSpec,
    hp: int,
    by_id: Mapping[int, OptionCount],
    labels: Mapping[int, str],
    thresholds: list[Threshold],
    reasons: list[str],
) -> Outcome:
    """A configured share of the participating headcount (abstentions take part)."""
    required = spec.required_share
    candidates = [_yes_id(spec)] if spec.method == "yesno" else [o.id for o in by_id.values()]
    adopted: set[int] = set()
    for option_id in candidates:
        label = (
            _("赞成票")
            if spec.method == "yesno"
            else _("「%(option)s」得票") % {"option": labels[option_id]}
        )
        th = _threshold(
            key="majority",
            label=label,
            part=by_id[option_id].headcount,
            whole=hp,
            required=required,
            inclusive=spec.majority_inclusive,
            area=False,
            option_id=option_id,
        )
        thresholds.append(th)
        reasons.append(th.text)
        if th.met:
            adopted.add(option_id)
    if spec.method == "yesno":
        if adopted:
            reasons.append(_("表决通过"))
            return Verdict.PASSED, tuple(adopted), (), adopted
        reasons.append(_("未获通过"))
        return Verdict.FAILED, (), (), adopted
    if not adopted:
        reasons.append(_("没有选项达到规定的多数"))
        return Verdict.FAILED, (), (), adopted
    if len(adopted) == 1:
        (only,) = adopted
        reasons.append(_("「%(option)s」获得通过") % {"option": labels[only]})
        return Verdict.PASSED, (only,), (), adopted
    verdict, winners, tie = _pick_among_adopted(adopted, by_id, labels, reasons)
    return verdict, winners, tie, adopted


def _plurality(
    spec: PollSpec,
    by_id: Mapping[int, OptionCount],
    labels: Mapping[int, str],
    thresholds: list[Threshold],
    reasons: list[str],
) -> Outcome:
    """Most headcount wins; for yes/no, for must outnumber against (a tie fails)."""
    if spec.method == "yesno":
        yes = by_id[_yes_id(spec)].headcount
        no_id = next(o.id for o in spec.options if o.meaning == "no")
        no = by_id[no_id].headcount
        met = yes > no
        text = _("赞成 %(yes)s %(op)s 反对 %(no)s") % {
            "yes": yes,
            "no": no,
            "op": ">" if met else ("=" if yes == no else "<"),
        }
        thresholds.append(
            Threshold(
                key="plurality",
                label=_("赞成多于反对"),
                met=met,
                text=text,
                value=Fraction(yes, yes + no) if yes + no else None,
                required=ORDINARY,
                inclusive=False,
                option_id=_yes_id(spec),
            )
        )
        reasons.append(text)
        if met:
            reasons.append(_("赞成多于反对，表决通过"))
            return Verdict.PASSED, (_yes_id(spec),), (), {_yes_id(spec)}
        reasons.append(_("赞成未多于反对，未获通过"))
        return Verdict.FAILED, (), (), set()
    best = max(o.headcount for o in by_id.values())
    if best == 0:
        reasons.append(_("没有选项得票，未形成表决结论"))
        return Verdict.NO_VERDICT, (), (), set()
    leaders = [i for i, o in by_id.items() if o.headcount == best]
    names = "、".join(f"「{labels[i]}」" for i in leaders)
    if len(leaders) == 1:
        text = _("%(options)s得票最多(%(count)s 票)") % {"options": names, "count": best}
        thresholds.append(
            Threshold("plurality", _("得票最多"), True, text, None, Fraction(0), False, leaders[0])
        )
        reasons.append(text)
        return Verdict.PASSED, (leaders[0],), (), {leaders[0]}
    text = _("%(options)s并列得票最多(各 %(count)s 票)，未能决定") % {
        "options": names,
        "count": best,
    }
    thresholds.append(Threshold("plurality", _("得票最多"), False, text, None, Fraction(0), False))
    reasons.append(text)
    return Verdict.UNDECIDED, (), tuple(leaders), set()


def _ranked_rule(
    spec: PollSpec,
    hp: int,
    outcome: RankedOutcome,
    labels: Mapping[int, str],
    thresholds: list[Threshold],
    reasons: list[str],
) -> Outcome:
    if outcome.winner is None and outcome.tie:
        names = "、".join(f"「{labels[i]}」" for i in outcome.tie)
        reasons.append(_("即时决选中%(options)s在各轮得票均相同，未能决定") % {"options": names})
        return Verdict.UNDECIDED, (), outcome.tie, set()
    if outcome.winner is None:
        reasons.append(_("所有选票均未排列任何选项，未形成表决结论"))
        return Verdict.NO_VERDICT, (), (), set()
    winner = outcome.winner
    reasons.append(
        _("即时决选：「%(option)s」在最后一轮获得 %(count)s 票，超过继续有效票的半数")
        % {"option": labels[winner], "count": outcome.final_headcount}
    )
    if spec.rule == "majority":
        th = _threshold(
            key="majority",
            label=_("「%(option)s」最后一轮得票") % {"option": labels[winner]},
            part=outcome.final_headcount,
            whole=hp,
            required=spec.required_share,
            inclusive=spec.majority_inclusive,
            area=False,
            option_id=winner,
        )
        thresholds.append(th)
        reasons.append(th.text)
        if not th.met:
            reasons.append(_("决选胜出的选项未达到规定的多数(以全部参与表决票计)，未获通过"))
            return Verdict.FAILED, (), (), set()
    reasons.append(_("「%(option)s」获得通过") % {"option": labels[winner]})
    return Verdict.PASSED, (winner,), (), {winner}
