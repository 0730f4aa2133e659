"""Writes of dispatch: the register of units, time limits, and a dispatch's life.

Every status change of a ``Dispatch`` consults ``deliberation.dispatch.transitions`` under a row
lock and records a ``DispatchEvent`` (the matter's timeline). Refusals raise named errors with a
message for people and leave everything as it was. ``now`` is the clock (tests pass their own).
"""

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.dispatch import rules
from deliberation.dispatch.limits import (
    DEFAULT_LIMITS,
    DispatchClock,
    Limits,
    due_times,
    is_late,
    overdue_reason,
)
from deliberation.dispatch.transitions import ACTIVE_STATUSES, MAX_RETURNS, check_transition
from deliberation.exceptions import InvalidInput, NotPermitted, TransitionNotAllowed
from deliberation.models import (
    Community,
    Dispatch,
    DispatchEvent,
    DispatchEventKind,
    DispatchLimit,
    DispatchStatus,
    Proposal,
    ResponsibleUnit,
    Street,
    UnitStaff,
    User,
)
from deliberation.notifications.services import (
    notify_dispatch_assigned,
    notify_dispatch_escalated,
    notify_dispatch_step,
)
from deliberation.proposals.transitions import OPEN_STATUSES as PROPOSAL_OPEN_STATUSES
from deliberation.scope import staff_streets

NOTE_MAX = 2000

# --- the register of units and the time limits ------------------------------------------------


def responsible_unit_save(
    *,
    actor: User,
    name: str,
    kind: str,
    communities: Iterable[Community],
    phone: str = "",
    is_active: bool = True,
    unit: ResponsibleUnit | None = None,
) -> ResponsibleUnit:
    """Create or change a unit. Street staff may name only communities of their streets; a unit's
    communities of other streets stay as they are. Raises ``NotPermitted`` / ``InvalidInput``."""
    if unit is not None and not rules.can_change_unit(actor, unit):
        raise NotPermitted(_("没有权限修改该责任单位。"))
    if unit is None and not rules.can_administer_units(actor):
        raise NotPermitted(_("只有街道指挥中心工作人员可以登记责任单位。"))
    name = name.strip()
    if not name:
        raise InvalidInput(_("请填写单位名称。"), fields={"name": [_("请填写单位名称。")]})
    chosen = list(communities)
    if not actor.is_superuser:
        mine = set(
            Community.objects.filter(street__in=staff_streets(actor)).values_list("pk", flat=True)
        )
        outside = [c.name for c in chosen if c.pk not in mine]
        if outside:
            message = _("不能为本街道以外的社区登记责任单位:%(names)s") % {
                "names": "、".join(outside)
            }
            raise InvalidInput(message, fields={"communities": [message]})
    with transaction.atomic():
        target = unit or ResponsibleUnit()
        target.name, target.kind, target.phone, target.is_active = name, kind, phone, is_active
        try:
            with transaction.atomic():
                target.save()
        except IntegrityError as exc:
            message = _("已有同名的责任单位。")
            raise InvalidInput(message, fields={"name": [message]}) from exc
        if actor.is_superuser:
            target.communities.set(chosen)
        else:
            others = target.communities.exclude(street__in=staff_streets(actor))
            target.communities.set([*others, *chosen])
    return target


def unit_staff_add(
    *, actor: User, unit: ResponsibleUnit, user: User, title: str = "", phone: str = ""
) -> UnitStaff:
    """Give ``user`` a post in ``unit`` (its queue, its claims). Idempotent for the same person."""
    if not rules.can_change_unit(actor, unit):
        raise NotPermitted(_("没有权限修改该责任单位。"))
    post, created = UnitStaff.objects.get_or_create(
        unit=unit, user=user, defaults={"title": title, "phone": phone}
    )
    if not created and (post.title, post.phone) != (title, phone):
        post.title, post.phone = title, phone
        post.save(update_fields=["title", "phone"])
    return post


def unit_staff_remove(*, actor: User, post: UnitStaff) -> None:
    if not rules.can_change_unit(actor, post.unit):
        raise NotPermitted(_("没有权限修改该责任单位。"))
    post.delete()


def dispatch_limit_set(
    *,
    actor: User,
    street: Street,
    category: str,
    claim_hours: int,
    feedback_days: int,
    return_hours: int,
) -> DispatchLimit:
    """Set the street's limits for ``category`` (its staff only); each must be positive."""
    if not (actor.is_superuser or staff_streets(actor).filter(pk=street.pk).exists()):
        raise NotPermitted(_("只有本街道的工作人员可以设置派件时限。"))
    bad = {
        name: [_("须为正整数。")]
        for name, value in (
            ("claim_hours", claim_hours),
            ("feedback_days", feedback_days),
            ("return_hours", return_hours),
        )
        if value <= 0
    }
    if bad:
        raise InvalidInput(_("时限须为正整数。"), fields=bad)
    row, _created = DispatchLimit.objects.update_or_create(
        street=street,
        category=category,
        defaults={
            "claim_hours": claim_hours,
            "feedback_days": feedback_days,
            "return_hours": return_hours,
        },
    )
    return row


def limits_for(*, street_id: int | None, category: str) -> Limits:
    """The street's limits for ``category``, else :data:`DEFAULT_LIMITS`."""
    if street_id is not None:
        row = DispatchLimit.objects.filter(street_id=street_id, category=category).first()
        if row is not None:
            return Limits(row.claim_hours, row.feedback_days, row.return_hours)
    return DEFAULT_LIMITS


# --- a dispatch's life ------------------------------------------------------------------------


def _event(
    dispatch: Dispatch, kind: str, actor: User | None, note: str, now: dt.datetime
) -> DispatchEvent:
    return DispatchEvent.objects.create(
        dispatch=dispatch,
        proposal_id=dispatch.proposal_id,
        kind=kind,
        actor=actor,
        note=note,
        at=now,
    )


def _clean_note(text: str, field: str, *, required: bool, message: str = "") -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput(message, fields={field: [message]})
    if len(text) > NOTE_MAX:
        too_long = _("不能超过 %(max)s 字。") % {"max": NOTE_MAX}
        raise InvalidInput(too_long, fields={field: [too_long]})
    return text


def _returns_of(proposal_id: int) -> int:
    return Dispatch.objects.filter(proposal_id=proposal_id, status=DispatchStatus.RETURNED).count()


def _latest_escalated(proposal_id: int) -> bool:
    latest = (
        Dispatch.objects.filter(proposal_id=proposal_id).order_by("-dispatched_at", "-pk").first()
    )
    return latest is not None and latest.escalated_at is not None


def _check_unit_serves(unit: ResponsibleUnit, community: Community) -> None:
    if not unit.is_active:
        message = _("责任单位「%(unit)s」已停用,不能派件。") % {"unit": unit.name}
        raise InvalidInput(message, fields={"unit": [message]})
    if not unit.communities.filter(pk=community.pk).exists():
        message = _(
            "责任单位「%(unit)s」不服务%(community)s,不能派件。请选择服务本社区的单位。"
        ) % {
            "unit": unit.name,
            "community": community.name,
        }
        raise InvalidInput(message, fields={"unit": [message]})


def _new_dispatch(
    *, proposal: Proposal, unit: ResponsibleUnit, actor: User, note: str, now: dt.datetime
) -> Dispatch:
    limits = limits_for(street_id=proposal.community.street_id, category=proposal.category)
    due = due_times(now, limits)
    try:
        with transaction.atomic():
            dispatch = Dispatch.objects.create(
                proposal=proposal,
                unit=unit,
                dispatched_by=actor,
                dispatched_at=now,
                note=note,
                claim_due_at=due.claim,
                return_due_at=due.return_,
                feedback_due_at=due.feedback,
            )
    except IntegrityError as exc:
        raise TransitionNotAllowed(
            _("该议题已派给其他单位,正在办理中;如需改派请使用“转派”。"), code="already_dispatched"
        ) from exc
    _event(dispatch, DispatchEventKind.DISPATCHED, actor, note, now)
    notify_dispatch_assigned(dispatch=dispatch)
    return dispatch


def dispatch_create(
    *,
    proposal: Proposal,
    unit: ResponsibleUnit,
    actor: User,
    note: str = "",
    now: dt.datetime | None = None,
) -> Dispatch:
    """派件: send an open matter to a unit serving its community, with the street's limits.

    Committee of the community or street staff; a matter escalated to the street is sent again
    by the street only. Refused (``InvalidInput`` on ``unit``) for a unit that does not serve
    the community; ``TransitionNotAllowed`` when the matter is closed or already with a unit.
    """
    now = now or timezone.now()
    community = proposal.community
    if not rules.can_dispatch(actor, community):
        raise NotPermitted(_("没有权限派发本社区的议题。"))
    note = _clean_note(note, "note", required=False)
    with transaction.atomic():
        locked = (
            Proposal.objects.select_for_update().select_related("community").get(pk=proposal.pk)
        )
        if locked.status not in PROPOSAL_OPEN_STATUSES:
            raise TransitionNotAllowed(
                _("议题已%(status)s,不能再派件。") % {"status": locked.get_status_display()}
            )
        _check_unit_serves(unit, community)
        if Dispatch.objects.filter(proposal=locked, status__in=ACTIVE_STATUSES).exists():
            raise TransitionNotAllowed(
                _("该议题已派给其他单位,正在办理中;如需改派请使用“转派”。"),
                code="already_dispatched",
            )
        if _latest_escalated(locked.pk) and not rules.can_redispatch_escalated(actor, community):
            raise NotPermitted(_("该议题已上报街道,由街道指挥中心重新派件。"))
        return _new_dispatch(proposal=locked, unit=unit, actor=actor, note=note, now=now)


def _lock_for_unit(dispatch: Dispatch, actor: User) -> Dispatch:
    locked = (
        Dispatch.objects.select_for_update()
        .select_related("proposal__community", "proposal__author", "unit")
        .get(pk=dispatch.pk)
    )
    if not rules.can_act_on_dispatch(actor, locked):
        raise NotPermitted(_("只有被派单位的工作人员可以办理该派件。"))
    return locked


def _move(locked: Dispatch, to_status: str, **fields: object) -> None:
    check = check_transition(locked.status, to_status, fields)
    if not check.allowed:
        raise TransitionNotAllowed(
            _("该派件当前为「%(status)s」,不能%(step)s。")
            % {"status": locked.get_status_display(), "step": DispatchEventKind(to_status).label},
            code=check.code,
        )
    locked.status = to_status
    for name, value in fields.items():
        setattr(locked, name, value)


def dispatch_claim(*, dispatch: Dispatch, actor: User, now: dt.datetime | None = None) -> Dispatch:
    """实名认领: a staff member of the unit claims the dispatch in their own name.

    Refused after the claim limit (the matter goes to the street) and once escalated; of two
    people claiming at once, the row lock lets the first win and the second is refused.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_for_unit(dispatch, actor)
        if locked.status == DispatchStatus.DISPATCHED:
            if locked.escalated_at is not None:
                raise TransitionNotAllowed(
                    _("该派件已上报街道,请联系街道指挥中心重新派件后再认领。"), code="escalated"
                )
            if is_late(locked.claim_due_at, now):
                raise TransitionNotAllowed(
                    _("已超过认领期限(%(due)s),不能再认领;该派件将上报街道,由街道重新派件。")
                    % {"due": timezone.localtime(locked.claim_due_at).strftime("%Y-%m-%d %H:%M")},
                    code="claim_late",
                )
        if locked.status == DispatchStatus.CLAIMED:
            who = locked.claimed_by.display_name if locked.claimed_by else ""
            raise TransitionNotAllowed(
                _("该派件已由%(name)s认领。") % {"name": who}, code="already_claimed"
            )
        _move(locked, DispatchStatus.CLAIMED, claimed_by=actor, claimed_at=now)
        locked.save(update_fields=["status", "claimed_by", "claimed_at"])
        event = _event(locked, DispatchEventKind.CLAIMED, actor, "", now)
        notify_dispatch_step(dispatch=locked, event=event)
    return locked


def _escalate(locked: Dispatch, reason: str, now: dt.datetime, actor: User | None = None) -> bool:
    """Mark ``locked`` escalated for ``reason`` (once) and tell the street; False if it was."""
    if locked.escalated_at is not None:
        return False
    locked.escalated_at, locked.escalation_reason = now, reason
    locked.save(update_fields=["escalated_at", "escalation_reason"])
    _event(
        locked, DispatchEventKind.ESCALATED, actor, str(locked.get_escalation_reason_display()), now
    )
    notify_dispatch_escalated(dispatch=locked)
    return True


def dispatch_return(
    *, dispatch: Dispatch, actor: User, reason: str, now: dt.datetime | None = None
) -> Dispatch:
    """退件: the unit is not responsible and says why, within its return limit.

    The second return of the same matter escalates it to the street at once; a third is refused
    (the street decides who does it). Refused after the return limit too.
    """
    now = now or timezone.now()
    reason = _clean_note(reason, "reason", required=True, message=_("请填写退件理由。"))
    with transaction.atomic():
        locked = _lock_for_unit(dispatch, actor)
        if locked.status == DispatchStatus.DISPATCHED and is_late(locked.return_due_at, now):
            raise TransitionNotAllowed(
                _("已超过退件期限(%(due)s),不能退件;请认领办理或联系派件方转派。")
                % {"due": timezone.localtime(locked.return_due_at).strftime("%Y-%m-%d %H:%M")},
                code="return_late",
            )
        returns = _returns_of(locked.proposal_id)
        if returns >= MAX_RETURNS:
            raise TransitionNotAllowed(
                _(
                    "该议题已被退回 %(count)s 次,不能再退件;"
                    "如确非本单位职责,请联系街道指挥中心转派。"
                )
                % {"count": returns},
                code="too_many_returns",
            )
        _move(locked, DispatchStatus.RETURNED, return_reason=reason, closed_at=now)
        locked.save(update_fields=["status", "return_reason", "closed_at"])
        _event(locked, DispatchEventKind.RETURNED, actor, reason, now)
        if returns + 1 >= MAX_RETURNS:
            _escalate(locked, "returned_twice", now)
    return locked


def dispatch_feedback(
    *, dispatch: Dispatch, actor: User, note: str, now: dt.datetime | None = None
) -> DispatchEvent:
    """限时反馈: the unit reports progress on a claimed dispatch; the author is told."""
    now = now or timezone.now()
    note = _clean_note(note, "note", required=True, message=_("请填写办理进展。"))
    with transaction.atomic():
        locked = _lock_for_unit(dispatch, actor)
        if locked.status != DispatchStatus.CLAIMED:
            raise TransitionNotAllowed(
                _("该派件当前为「%(status)s」,认领后才能反馈进展。")
                % {"status": locked.get_status_display()}
            )
        if locked.first_feedback_at is None:
            locked.first_feedback_at = now
            locked.save(update_fields=["first_feedback_at"])
        event = _event(locked, DispatchEventKind.FEEDBACK, actor, note, now)
        notify_dispatch_step(dispatch=locked, event=event)
    return event


def dispatch_complete(
    *, dispatch: Dispatch, actor: User, report: str, now: dt.datetime | None = None
) -> Dispatch:
    """办结: the unit reports the matter done; the report is feedback to the author."""
    now = now or timezone.now()
    report = _clean_note(report, "report", required=True, message=_("请填写办结情况。"))
    with transaction.atomic():
        locked = _lock_for_unit(dispatch, actor)
        _move(locked, DispatchStatus.COMPLETED, completion_report=report, closed_at=now)
        locked.first_feedback_at = locked.first_feedback_at or now
        locked.save(update_fields=["status", "completion_report", "closed_at", "first_feedback_at"])
        event = _event(locked, DispatchEventKind.COMPLETED, actor, report, now)
        notify_dispatch_step(dispatch=locked, event=event)
    return locked


def dispatch_transfer(
    *,
    dispatch: Dispatch,
    to_unit: ResponsibleUnit,
    actor: User,
    note: str = "",
    now: dt.datetime | None = None,
) -> Dispatch:
    """转派: the dispatchers move an active dispatch to another unit serving the community.

    The old dispatch ends ``transferred`` and a new one starts with fresh limits; both steps are
    on the timeline. An escalated dispatch is transferred by the street. Returns the new one.
    """
    now = now or timezone.now()
    note = _clean_note(note, "note", required=False)
    with transaction.atomic():
        locked = (
            Dispatch.objects.select_for_update()
            .select_related("proposal__community", "unit")
            .get(pk=dispatch.pk)
        )
        community = locked.proposal.community
        if not rules.can_dispatch(actor, community):
            raise NotPermitted(_("没有权限转派本社区的议题。"))
        if locked.escalated_at is not None and not rules.can_redispatch_escalated(actor, community):
            raise NotPermitted(_("该派件已上报街道,由街道指挥中心转派。"))
        if to_unit.pk == locked.unit_id:
            message = _("请选择另一个责任单位。")
            raise InvalidInput(message, fields={"unit": [message]})
        _check_unit_serves(to_unit, community)
        _move(locked, DispatchStatus.TRANSFERRED, closed_at=now)
        locked.save(update_fields=["status", "closed_at"])
        moved = _("转派至%(unit)s") % {"unit": to_unit.name}
        _event(locked, DispatchEventKind.TRANSFERRED, actor, f"{moved} {note}".strip(), now)
        proposal = Proposal.objects.select_related("community").get(pk=locked.proposal_id)
        return _new_dispatch(proposal=proposal, unit=to_unit, actor=actor, note=note, now=now)


def escalate_overdue_dispatches(*, now: dt.datetime | None = None) -> int:
    """Escalate to the street every active dispatch overdue at ``now`` (not claimed, or claimed
    and not reported back, in time); returns how many were escalated now. Idempotent: a
    dispatch is escalated once (and a unique event guards a concurrent run)."""
    now = now or timezone.now()
    candidates = Dispatch.objects.filter(
        status__in=ACTIVE_STATUSES, escalated_at__isnull=True
    ).filter(
        Q(status=DispatchStatus.DISPATCHED, claim_due_at__lt=now)
        | Q(status=DispatchStatus.CLAIMED, first_feedback_at__isnull=True, feedback_due_at__lt=now)
    )
    count = 0
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            locked = (
                Dispatch.objects.select_for_update()
                .select_related("proposal__community", "unit")
                .get(pk=pk)
            )
            reason = overdue_reason(
                DispatchClock(
                    locked.status,
                    locked.claim_due_at,
                    locked.feedback_due_at,
                    locked.first_feedback_at,
                ),
                now,
            )
            if reason and locked.escalated_at is None:
                try:
                    with transaction.atomic():
                        count += _escalate(locked, reason, now)
                except IntegrityError:
                    continue  # another run escalated it first
    return count
