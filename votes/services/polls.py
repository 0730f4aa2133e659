"""Poll lifecycle: create, change (draft only), open (freeze), extend, close, finalise.

Status table: ``draft → open → closed → final``; ``closed → open`` only by ``poll_extend`` of
a poll short of participation, or by ``poll_reopen`` of a deliberative poll closed by mistake
whose result is not yet published (a meeting holds its polls' results until it closes).
Every step takes the poll's row lock and logs a ``PollEvent`` (the public announcement list on
the result page).

An open poll may be suspended (``poll_pause``: every channel, or an outage of the online channel
only) and resumed (``poll_resume``); it stays ``open`` meanwhile and the deadline run leaves it
alone (staff resume, extend or close it). Owners' polls go ``closed`` (preliminary result,
objection period) → ``final``: ``poll_finalise`` is refused before the objection period ends,
even when every objection so far is answered (the period is announced and more may come), and
after it while any objection stands unanswered (``votes.services.objections``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.exceptions import InvalidInput, TransitionNotAllowed
from deliberation.models import Community, Party, Proposal, ProposalStatus, User
from deliberation.proposals.services import proposal_transition
from deliberation.resolutions.services import resolution_create
from votes import audit
from votes.counting import Verdict
from votes.electorate import UserIds, build_electorate, totals
from votes.exceptions import PollFrozen, PollStateError
from votes.models import (
    ChainScheme,
    ChangePolicy,
    Electorate,
    Kind,
    Method,
    Option,
    Participation,
    Poll,
    PollEvent,
    PollEventKind,
    PollStatus,
    PollSuspension,
    PublicationReason,
    Rule,
    Secrecy,
)
from votes.notifications import notify_poll_opened
from votes.selectors import poll_chain_problem
from votes.services.chain import poll_publish_chain_head, polls_publish_chain_heads
from votes.tally import poll_tally

logger = logging.getLogger(__name__)

# Fields fixed once the poll opens (the rule, its share, the electorate and how it is asked).
FROZEN_FIELDS = (
    "kind",
    "electorate",
    "method",
    "rule",
    "majority_numerator",
    "majority_denominator",
    "majority_inclusive",
    "secrecy",
    "question",
    "eligible_user_ids",
    "decides_proposal",
    "proposal_id",
    # Rules declared per vote (DESIGN.md "Votes"), printed on the ballot and the notices.
    "change_policy",
    "receipts_enabled",
    "public_ballot_list",
)
# Fields that may change while a poll is a draft (through ``poll_update``).
EDITABLE_FIELDS = (
    *FROZEN_FIELDS,
    "opens_at",
    "closes_at",
    "show_running_tally",
)

YESNO_OPTIONS = (("yes", "赞成"), ("no", "反对"), ("abstain", "弃权"))


def poll_check_config(poll: Poll) -> None:
    """Refuse combinations DESIGN.md forbids. Raises ``ValidationError`` with field errors."""
    errors: dict[str, str] = {}
    owners_rules = {Rule.OWNERS_ORDINARY, Rule.OWNERS_SPECIAL}
    if poll.kind == Kind.OWNERS:
        if poll.electorate != Electorate.OWNERS:
            errors["electorate"] = _("业主共同决定只能由业主参与表决")
        if poll.rule not in owners_rules:
            errors["rule"] = _("业主共同决定须选择民法典第二百七十八条的表决规则")
        if poll.secrecy == Secrecy.SECRET:
            # Owners sign their ballots (指导规则 art. 22), and a unit's area would identify
            # a secret ballot anyway.
            errors["secrecy"] = _("业主共同决定须实名表决")
    else:
        if poll.rule in owners_rules:
            errors["rule"] = _("议事会表决不能使用业主共同决定规则")
        if poll.electorate == Electorate.OWNERS:
            errors["electorate"] = _("按业主计票的表决须为业主共同决定")
    if poll.rule == Rule.MAJORITY:
        num, den = poll.majority_numerator, poll.majority_denominator
        if not den or not 0 < num < den:
            errors["majority_numerator"] = _("多数比例须大于0且小于1")
    if poll.rule in owners_rules and poll.method == Method.RANKED:
        errors["method"] = _("业主共同决定不能使用排序复选")
    if poll.secrecy == Secrecy.SECRET and poll.change_policy != ChangePolicy.NEVER:
        # Nothing links a secret ballot to its voter, so there is no ballot to replace.
        errors["change_policy"] = _("不记名表决不能改票")
    if poll.opens_at and poll.closes_at and poll.closes_at <= poll.opens_at:
        errors["closes_at"] = _("截止时间须晚于开始时间")
    if poll.proposal is not None and poll.proposal.community_id != poll.community_id:
        errors["proposal"] = _("议题不属于本社区")
    if errors:
        raise ValidationError(errors)


def _set_options(poll: Poll, labels: Iterable[str] | None) -> None:
    poll.options.all().delete()
    if poll.method == Method.YESNO:
        for order, (meaning, label) in enumerate(YESNO_OPTIONS):
            Option.objects.create(poll=poll, label=_(label), meaning=meaning, sort_order=order)
        return
    labels = [label.strip() for label in (labels or []) if label and label.strip()]
    if labels:
        for order, label in enumerate(labels):
            Option.objects.create(poll=poll, label=label[:120], sort_order=order)
    elif poll.proposal is not None:
        for order, plan in enumerate(poll.proposal.options.order_by("sort_order", "pk")):
            Option.objects.create(
                poll=poll, label=plan.title[:120], proposal_option=plan, sort_order=order
            )
    if poll.options.count() < 2:
        raise ValidationError({"options": _("至少需要两个选项")})


def _log(poll: Poll, kind: str, actor: User | None, note: str = "", **data: Any) -> PollEvent:
    return PollEvent.objects.create(poll=poll, kind=kind, actor=actor, note=note, data=data)


@transaction.atomic
def poll_create(
    *,
    community: Community,
    question: str,
    kind: str,
    electorate: str,
    method: str,
    rule: str,
    actor: User | None,
    proposal: Proposal | None = None,
    options: Iterable[str] | None = None,
    majority: tuple[int, int] = (1, 2),
    majority_inclusive: bool = False,
    secrecy: str = Secrecy.NAMED,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    show_running_tally: bool = False,
    eligible_user_ids: Iterable[int] | None = None,
    decides_proposal: bool | None = None,
    change_policy: str = ChangePolicy.NEVER,
    receipts_enabled: bool = True,
    public_ballot_list: bool = False,
) -> Poll:
    """Create a draft poll with its options.

    Options: for ``yesno`` always 赞成/反对/弃权; otherwise ``options`` labels, else the
    proposal's plans. ``eligible_user_ids`` is the attendee list for ``attendees`` polls (the
    caller may instead pass it to ``poll_open``). ``decides_proposal`` defaults to True for
    owners' decisions on a proposal. Raises ``ValidationError``.
    """
    poll = Poll(
        community=community,
        proposal=proposal,
        question=question.strip()[:200],
        kind=kind,
        electorate=electorate,
        method=method,
        rule=rule,
        majority_numerator=majority[0],
        majority_denominator=majority[1],
        majority_inclusive=majority_inclusive,
        secrecy=secrecy,
        opens_at=opens_at,
        closes_at=closes_at,
        show_running_tally=show_running_tally,
        eligible_user_ids=sorted({int(i) for i in eligible_user_ids or []}),
        decides_proposal=(
            decides_proposal
            if decides_proposal is not None
            else bool(proposal) and kind == Kind.OWNERS
        ),
        created_by=actor,
        change_policy=change_policy,
        receipts_enabled=receipts_enabled,
        public_ballot_list=public_ballot_list,
    )
    if not poll.question:
        raise ValidationError({"question": _("请填写表决事项")})
    poll.full_clean(exclude=["frozen_electorate", "frozen_spec", "chain_head", "created_by"])
    poll_check_config(poll)
    poll.save()
    _set_options(poll, options)
    _log(poll, PollEventKind.CREATED, actor)
    return poll


@transaction.atomic
def poll_update(
    *, poll: Poll, actor: User | None, options: Iterable[str] | None = None, **fields: Any
) -> Poll:
    """Change a poll. Rule, electorate, method, options and the rest of ``FROZEN_FIELDS`` only
    while it is a draft (raises ``PollFrozen`` after open); times and the running-tally switch
    while open too. Raises ``ValidationError`` for unknown fields or a bad combination.
    """
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段: %(fields)s") % {"fields": sorted(unknown)})
    if locked.status != PollStatus.DRAFT:
        frozen = [name for name in fields if name in FROZEN_FIELDS]
        if frozen or options is not None:
            raise PollFrozen(_("表决已开始，通过规则、表决范围和选项不能再修改"))
        if locked.status != PollStatus.OPEN:
            raise PollStateError(_("表决已截止，不能修改"))
        if "closes_at" in fields or "opens_at" in fields:
            raise PollStateError(_("表决开始后请用“延长表决期”修改截止时间"))
    for name, value in fields.items():
        setattr(locked, name, value)
    poll_check_config(locked)
    locked.save()
    if options is not None or "method" in fields:
        _set_options(locked, options)
    return locked


def _spec_snapshot(poll: Poll) -> dict[str, Any]:
    community = poll.community
    return {
        "kind": poll.kind,
        "electorate": poll.electorate,
        "method": poll.method,
        "rule": poll.rule,
        "majority": [poll.majority_numerator, poll.majority_denominator],
        "majority_inclusive": poll.majority_inclusive,
        "secrecy": poll.secrecy,
        "question": poll.question,
        "option_ids": list(poll.options.order_by("sort_order", "pk").values_list("pk", flat=True)),
        "options": [
            {"id": o.pk, "label": o.label, "meaning": o.meaning}
            for o in poll.options.order_by("sort_order", "pk")
        ],
        "deem_nonvoters_majority": bool(
            poll.kind == Kind.OWNERS and community.deem_nonvoters_majority
        ),
        "deem_nonvoters_clause": community.deem_nonvoters_clause,
        "change_policy": poll.change_policy,
        "receipts_enabled": poll.receipts_enabled,
        "public_ballot_list": poll.public_ballot_list,
    }


@transaction.atomic
def poll_open(*, poll: Poll, actor: User | None, eligible_user_ids: UserIds = None) -> Poll:
    """Open a draft poll: freeze the rule, options and electorate (voters, Ht, At).

    ``eligible_user_ids`` (a list or a callable returning one) is the attendee list for
    ``attendees`` polls. Raises ``PollStateError`` unless the poll is a draft or when the
    electorate is empty.
    """
    locked = Poll.objects.select_for_update().select_related("community").get(pk=poll.pk)
    if locked.status != PollStatus.DRAFT:
        raise PollStateError(_("表决已经开始过"))
    poll_check_config(locked)
    voters = build_electorate(poll=locked, eligible_user_ids=eligible_user_ids)
    if not voters:
        raise PollStateError(_("表决范围内没有人，不能开始"))
    if locked.options.count() < 2:
        raise PollStateError(_("至少需要两个选项"))
    headcount, area = totals(voters)
    now = timezone.now()
    if locked.electorate == Electorate.ATTENDEES:
        locked.eligible_user_ids = sorted(u for v in voters for u in v["user_ids"])
    locked.frozen_electorate = voters
    locked.frozen_spec = _spec_snapshot(locked)
    locked.total_headcount = headcount
    locked.total_area = area
    locked.status = PollStatus.OPEN
    locked.opened_at = now
    if locked.opens_at is None or locked.opens_at > now:
        locked.opens_at = now
    locked.ballot_seq = 0
    locked.chain_head = audit.genesis_hash(locked.pk)
    # Every poll opened from now on is keyed; polls opened before stay unkeyed and verify so.
    locked.chain_scheme = ChainScheme.HMAC_SHA256
    locked.chain_head_mac = audit.head_mac(
        audit.configured_chain_key(), poll_id=locked.pk, seq=0, head=locked.chain_head
    )
    locked.save()
    poll_publish_chain_head(poll=locked, reason=PublicationReason.OPENED, now=now)
    _log(
        locked,
        PollEventKind.OPENED,
        actor,
        total_headcount=headcount,
        total_area=str(area),
        rule=locked.rule,
        closes_at=locked.closes_at.isoformat() if locked.closes_at else None,
        change_policy=locked.change_policy,
        receipts_enabled=locked.receipts_enabled,
        public_ballot_list=locked.public_ballot_list,
    )
    notify_poll_opened(poll=locked)
    return locked


@transaction.atomic
def poll_extend(*, poll: Poll, actor: User | None, closes_at: dt.datetime, reason: str) -> Poll:
    """Extend the voting period (e.g. short of participation); logged and announced.

    An open poll gets a later closing time; a closed owners' poll whose preliminary result has
    no verdict for want of participation reopens until ``closes_at``. Ballots already cast
    stay. Raises ``PollStateError`` otherwise, ``ValidationError`` without a reason or a later
    time.
    """
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    if not reason.strip():
        raise ValidationError({"reason": _("请说明延期理由")})
    now = timezone.now()
    if closes_at <= now or (locked.closes_at and closes_at <= locked.closes_at):
        raise ValidationError({"closes_at": _("新的截止时间须晚于原截止时间和当前时间")})
    previous = locked.closes_at
    if locked.status == PollStatus.CLOSED:
        verdict = (locked.preliminary_result or {}).get("verdict")
        if verdict != Verdict.NO_VERDICT:
            raise PollStateError(_("只有未达参与表决要求的表决可以重新开放"))
        locked.status = PollStatus.OPEN
        locked.result = None
        locked.closed_at = None
        locked.objection_until = None
        poll_publish_chain_head(poll=locked, reason=PublicationReason.REOPENED, now=now)
    elif locked.status != PollStatus.OPEN:
        raise PollStateError(_("该表决不能延期"))
    locked.closes_at = closes_at
    locked.save()
    _log(
        locked,
        PollEventKind.EXTENDED,
        actor,
        note=reason.strip(),
        previous_closes_at=previous.isoformat() if previous else None,
        closes_at=closes_at.isoformat(),
    )
    return locked


@transaction.atomic
def poll_close(*, poll: Poll, actor: User | None, finalise: bool = True) -> Poll:
    """Close an open poll and store its result (``poll.result``).

    Takes the row lock that casting takes, so every ballot acknowledged before is counted and
    none after. Owners' decisions: the result is preliminary and the objection period
    (``community.objection_days``) starts; deliberative polls are final at once, unless
    ``finalise`` is False (a live meeting publishes them when it closes, and until then a
    mistaken close can be undone with ``poll_reopen``). Raises ``PollStateError`` unless open.
    """
    locked = Poll.objects.select_for_update().select_related("community").get(pk=poll.pk)
    if locked.status != PollStatus.OPEN:
        raise PollStateError(_("只有表决中的表决可以截止"))
    now = timezone.now()
    result = poll_tally(locked)
    poll_publish_chain_head(poll=locked, reason=PublicationReason.CLOSED, now=now)
    if locked.suspension:
        _log(
            locked,
            PollEventKind.RESUMED,
            actor,
            note=_("截止表决,暂停随之结束"),
            mode=locked.suspension,
        )
        locked.suspension = PollSuspension.NONE
        locked.suspended_at = None
        locked.suspension_reason = ""
    locked.status = PollStatus.CLOSED
    locked.closed_at = now
    locked.result = result
    # Receipts sealed for repeated requests are needed only while ballots are cast.
    Participation.objects.filter(poll=locked).exclude(ref_seal="").update(ref_seal="")
    if locked.kind == Kind.OWNERS:
        locked.preliminary_result = result
        locked.objection_until = now + dt.timedelta(days=locked.community.objection_days)
        locked.save()
        _log(
            locked,
            PollEventKind.CLOSED,
            actor,
            verdict=result.get("verdict"),
            objection_until=locked.objection_until.isoformat(),
            chain_head=locked.chain_head,
            ballots=locked.ballot_seq,
        )
        return locked
    locked.objection_until = now
    locked.save()
    _log(
        locked,
        PollEventKind.CLOSED,
        actor,
        verdict=result.get("verdict"),
        chain_head=locked.chain_head,
        ballots=locked.ballot_seq,
    )
    if not finalise:
        return locked
    return _finalise_locked(locked, actor=actor, note="", resolution=None)


@transaction.atomic
def poll_pause(*, poll: Poll, actor: User | None, reason: str, online_only: bool = False) -> Poll:
    """Suspend an open poll's voting with ``reason``: every channel, or with ``online_only`` an
    outage of the online channel while staff go on entering paper, proxy and phone ballots.

    Casting refuses what is suspended with ``poll_paused`` (``votes.suspension``); the period,
    chain and ballots stay. A paused poll may switch to an outage or back (logged again).
    Raises ``ValidationError`` without a reason, ``PollStateError`` unless open or when already
    suspended the same way.
    """
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    if not reason.strip():
        raise ValidationError({"reason": _("请说明暂停理由")})
    if locked.status != PollStatus.OPEN:
        raise PollStateError(_("只有表决中的表决可以暂停"))
    mode = PollSuspension.OUTAGE if online_only else PollSuspension.PAUSED
    if locked.suspension == mode:
        raise PollStateError(_("表决已处于该暂停状态"))
    now = timezone.now()
    locked.suspension = mode
    locked.suspended_at = now
    locked.suspension_reason = reason.strip()
    locked.save(update_fields=["suspension", "suspended_at", "suspension_reason"])
    poll_publish_chain_head(poll=locked, reason=PublicationReason.MANUAL, now=now)
    _log(
        locked,
        PollEventKind.OUTAGE if online_only else PollEventKind.PAUSED,
        actor,
        note=reason.strip(),
        ballots=locked.ballot_seq,
        chain_head=locked.chain_head,
    )
    return locked


@transaction.atomic
def poll_resume(
    *, poll: Poll, actor: User | None, reason: str, closes_at: dt.datetime | None = None
) -> Poll:
    """Lift a pause or an outage; ``closes_at`` extends the period at the same time (logged as
    its own ``extended`` event). A poll whose closing time passed while suspended must be given
    a later one. Raises ``ValidationError`` (no reason, no later closing time when needed),
    ``PollStateError`` unless the poll is open and suspended.
    """
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    if not reason.strip():
        raise ValidationError({"reason": _("请说明恢复表决的情况")})
    if locked.status != PollStatus.OPEN or not locked.suspension:
        raise PollStateError(_("表决没有暂停,无需恢复"))
    now = timezone.now()
    if closes_at is None and locked.closes_at is not None and locked.closes_at <= now:
        raise ValidationError({"closes_at": _("原截止时间已过,恢复时请填写新的截止时间")})
    mode = locked.suspension
    suspended_at = locked.suspended_at
    locked.suspension = PollSuspension.NONE
    locked.suspended_at = None
    locked.suspension_reason = ""
    locked.save(update_fields=["suspension", "suspended_at", "suspension_reason"])
    poll_publish_chain_head(poll=locked, reason=PublicationReason.MANUAL, now=now)
    _log(
        locked,
        PollEventKind.RESUMED,
        actor,
        note=reason.strip(),
        mode=mode,
        suspended_at=suspended_at.isoformat() if suspended_at else None,
        ballots=locked.ballot_seq,
        chain_head=locked.chain_head,
    )
    if closes_at is not None:
        return poll_extend(poll=locked, actor=actor, closes_at=closes_at, reason=reason)
    return locked


def poll_reopenable(poll: Poll) -> bool:
    """Whether ``poll`` may be reopened after a mistaken close: a deliberative poll that is
    closed and whose result is not published (owners' preliminary results are published at
    close, with their objection period, so those never reopen here)."""
    return (
        poll.status == PollStatus.CLOSED
        and poll.kind == Kind.DELIBERATIVE
        and poll.finalised_at is None
    )


@transaction.atomic
def poll_reopen(*, poll: Poll, actor: User | None, reason: str) -> Poll:
    """Undo a mistaken close: ``closed → open`` for a poll ``poll_reopenable`` allows.

    Every ballot cast before the close stays valid and the chain goes on from the same head;
    the held result is dropped (it is counted again at the next close). A closing time already
    passed is cleared, so the deadline run does not close it again at once. Logged as
    ``reopened`` with the reason and the ballots held. Raises ``PollStateError`` otherwise,
    ``ValidationError`` without a reason.
    """
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    if not reason.strip():
        raise ValidationError({"reason": _("请说明重新开放的理由")})
    if not poll_reopenable(locked):
        raise PollStateError(_("只有已截止、尚未公布结果的议事会表决可以重新开放"))
    now = timezone.now()
    previous = locked.closes_at
    if locked.closes_at is not None and locked.closes_at <= now:
        locked.closes_at = None
    locked.status = PollStatus.OPEN
    locked.result = None
    locked.closed_at = None
    locked.objection_until = None
    poll_publish_chain_head(poll=locked, reason=PublicationReason.REOPENED, now=now)
    locked.save()
    _log(
        locked,
        PollEventKind.REOPENED,
        actor,
        note=reason.strip(),
        ballots=locked.ballot_seq,
        chain_head=locked.chain_head,
        previous_closes_at=previous.isoformat() if previous else None,
    )
    return locked


@dataclass(frozen=True)
class DueClosing:
    """What one ``polls_close_due`` run did: the polls it closed, those that failed, and the
    open polls whose chain head it published."""

    closed: list[Poll] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    published: list[int] = field(default_factory=list)


def poll_close_if_due(*, poll: Poll | int, now: dt.datetime | None = None) -> Poll | None:
    """Close ``poll`` if, under its row lock, it is still open and its ``closes_at`` has passed.

    Returns the closed poll, or ``None`` when there is nothing to do (already closed by someone
    else, extended meanwhile, or not due): safe to call any number of times, concurrently too,
    since the check and the close share the lock that ``poll_close`` and casting take.
    """
    now = now or timezone.now()
    pk = poll.pk if isinstance(poll, Poll) else poll
    with transaction.atomic():
        locked = Poll.objects.select_for_update().filter(pk=pk).first()
        if (
            locked is None
            or locked.status != PollStatus.OPEN
            or locked.suspension != PollSuspension.NONE
            or locked.closes_at is None
            or locked.closes_at > now
        ):
            return None
        return poll_close(poll=locked, actor=None)


def polls_close_due(*, now: dt.datetime | None = None) -> DueClosing:
    """Close every open poll whose ``closes_at`` has passed (the scheduled deadline run), then
    publish the chain head of the polls still open that are due one (``polls_publish_chain_heads``).

    Each poll closes in its own transaction through ``poll_close_if_due``, so a second run, or
    two runs at once, close nothing twice. A poll that fails to close is logged and left open
    for the next run; it does not hold up the others.
    """
    now = now or timezone.now()
    report = DueClosing()
    due = Poll.objects.filter(
        status=PollStatus.OPEN, suspension=PollSuspension.NONE, closes_at__lte=now
    ).order_by("pk")
    for pk in list(due.values_list("pk", flat=True)):
        try:
            closed = poll_close_if_due(poll=pk, now=now)
        except Exception:
            logger.exception("closing due poll %s failed", pk)
            report.failed.append(pk)
            continue
        if closed is not None:
            report.closed.append(closed)
    try:
        report.published.extend(p.poll_id for p in polls_publish_chain_heads(now=now))
    except Exception:
        logger.exception("publishing chain heads failed; retried next run")
    return report


def poll_finalise(
    *,
    poll: Poll,
    actor: User | None,
    note: str = "",
    force: bool = False,
    responsible_party: str | None = None,
    deadline: dt.date | None = None,
    decision: str | None = None,
) -> Poll:
    """Publish the final result after the objection period (``force`` skips the wait).

    Recounts from the ballots after verifying the chain (refuses a broken chain). If the poll
    decides its proposal, moves it to ``decided`` (and creates the resolution) or
    ``not_adopted``; a poll without a verdict on the merits leaves the proposal as it is.
    Raises ``PollStateError``.
    """
    with transaction.atomic():
        locked = Poll.objects.select_for_update().select_related("community").get(pk=poll.pk)
        if locked.status != PollStatus.CLOSED:
            raise PollStateError(_("只有已截止(公示中)的表决可以公布最终结果"))
        if not force and locked.objection_until and timezone.now() < locked.objection_until:
            raise PollStateError(_("公示期尚未结束"))
        unanswered = locked.objections.filter(answered_at__isnull=True).count()
        if unanswered:
            raise PollStateError(
                _("还有 %(count)s 件异议未答复,答复后才能公布最终结果") % {"count": unanswered}
            )
        problem = poll_chain_problem(locked)
        if problem is not None:
            raise PollStateError(
                _("选票校验未通过，不能公布最终结果: %(problem)s") % {"problem": problem.describe()}
            )
        locked.result = poll_tally(locked)
        return _finalise_locked(
            locked,
            actor=actor,
            note=note,
            resolution={
                "responsible_party": responsible_party,
                "deadline": deadline,
                "decision": decision,
            },
        )


def _finalise_locked(
    locked: Poll, *, actor: User | None, note: str, resolution: dict[str, Any] | None
) -> Poll:
    now = timezone.now()
    locked.status = PollStatus.FINAL
    locked.finalised_at = now
    locked.save()
    result = locked.result or {}
    _log(locked, PollEventKind.FINALISED, actor, note=note, verdict=result.get("verdict"))
    if locked.proposal_id and locked.decides_proposal:
        _decide_proposal(locked, actor=actor, result=result, options=resolution or {})
    return locked


def _winner_option(poll: Poll, result: dict[str, Any]) -> Option | None:
    winners = result.get("winners") or result.get("winner_option_ids") or []
    if len(winners) != 1:
        return None
    return poll.options.filter(pk=winners[0]).select_related("proposal_option").first()


def _decide_proposal(
    poll: Poll, *, actor: User | None, result: dict[str, Any], options: dict[str, Any]
) -> None:
    """Move the proposal per the verdict; record the resolution when it passed."""
    verdict = result.get("verdict")
    proposal = poll.proposal
    assert proposal is not None
    winner = _winner_option(poll, result)
    if verdict == Verdict.PASSED:
        to_status = ProposalStatus.DECIDED
    elif verdict == Verdict.FAILED:
        to_status = ProposalStatus.NOT_ADOPTED
    else:
        _log(poll, PollEventKind.NOTE, actor, note=_("未形成表决结论，议题状态不变"))
        return
    reasons = "；".join(result.get("reasons") or [])
    try:
        with transaction.atomic():
            proposal_transition(
                proposal=proposal,
                to_status=to_status,
                actor=actor,
                note=_("表决“%(question)s”：%(reasons)s")
                % {"question": poll.question, "reasons": reasons},
            )
            if to_status == ProposalStatus.DECIDED:
                _create_resolution(
                    poll, proposal=proposal, actor=actor, winner=winner, options=options
                )
    except (TransitionNotAllowed, InvalidInput) as exc:
        _log(
            poll,
            PollEventKind.NOTE,
            actor,
            note=_("议题状态未能变更: %(error)s") % {"error": exc},
        )


def _create_resolution(
    poll: Poll,
    *,
    proposal: Proposal,
    actor: User | None,
    winner: Option | None,
    options: dict[str, Any],
) -> None:
    community = poll.community
    decision = options.get("decision") or (
        _("经表决通过：%(option)s") % {"option": winner.label}
        if winner
        else _("经表决通过：%(question)s") % {"question": poll.question}
    )
    deadline = options.get("deadline") or (
        timezone.localdate() + dt.timedelta(days=community.resolution_days)
    )
    resolution = resolution_create(
        proposal=proposal,
        decision=decision,
        # The committee supervises when triage named nobody (DESIGN.md: 督办).
        responsible_party=(
            options.get("responsible_party") or proposal.responsible_party or Party.COMMITTEE
        ),
        deadline=deadline,
        actor=actor,
        adopted_option=winner.proposal_option if winner else None,
    )
    Poll.objects.filter(pk=poll.pk).update(resolution=resolution)
    poll.resolution = resolution
