"""Objections (异议) to an owners' poll's preliminary result: recorded and answered by committee
staff, each step a ``PollEvent`` on the poll's public timeline.

An objection may be recorded while the poll is ``closed`` (its preliminary result published),
also after the objection period ended (it is then shown as late); ``poll_finalise`` is refused
while one stands unanswered. Answers are final: a second answer is refused (correct it with a
new objection record if need be), so the answered text printed on the final notice is the one
on record.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.exceptions import NotPermitted
from deliberation.models import User
from votes.exceptions import PollStateError
from votes.models import (
    Kind,
    ObjectionChannel,
    Poll,
    PollEvent,
    PollEventKind,
    PollObjection,
    PollStatus,
)
from votes.rules import can_manage_polls

TEXT_LIMIT = 4000


def _check_staff(actor: User, poll: Poll) -> None:
    if not can_manage_polls(actor, poll.community):
        raise NotPermitted(_("只有本社区居委会工作人员可以登记和答复异议"))


@transaction.atomic
def objection_record(
    *,
    poll: Poll,
    actor: User,
    objector_name: str,
    text: str,
    channel: str,
    unit_label: str = "",
    received_at: dt.datetime | None = None,
) -> PollObjection:
    """Record an objection received about ``poll``'s preliminary result.

    ``received_at`` (default now) may not lie in the future nor before the poll closed.
    Raises ``NotPermitted`` (not committee staff of the poll's community), ``PollStateError``
    (not an owners' poll in its objection stage) or ``ValidationError`` (missing name or text,
    unknown channel, a bad time).
    """
    _check_staff(actor, poll)
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    if locked.kind != Kind.OWNERS or locked.status != PollStatus.CLOSED:
        raise PollStateError(_("只有已公布初步结果、尚未公布最终结果的业主表决可以登记异议"))
    errors: dict[str, str] = {}
    name, body = objector_name.strip(), text.strip()
    if not name:
        errors["objector_name"] = _("请填写异议人姓名")
    if not body:
        errors["text"] = _("请填写异议内容")
    elif len(body) > TEXT_LIMIT:
        errors["text"] = _("异议内容过长(最多 %(limit)s 字)") % {"limit": TEXT_LIMIT}
    if channel not in ObjectionChannel.values:
        errors["channel"] = _("请选择提出方式")
    now = timezone.now()
    received = received_at or now
    if received > now + dt.timedelta(minutes=5):
        errors["received_at"] = _("收到时间不能晚于现在")
    elif locked.closed_at and received < locked.closed_at:
        errors["received_at"] = _("收到时间不能早于表决截止时间")
    if errors:
        raise ValidationError(errors)
    objection = PollObjection.objects.create(
        poll=locked,
        objector_name=name[:60],
        unit_label=unit_label.strip()[:60],
        text=body,
        channel=channel,
        received_at=received,
        recorded_by=actor,
    )
    PollEvent.objects.create(
        poll=locked,
        kind=PollEventKind.OBJECTION,
        actor=actor,
        data={"objection": objection.pk, "channel": channel, "late": objection.is_late},
    )
    return objection


@transaction.atomic
def objection_answer(*, objection: PollObjection, actor: User, answer: str) -> PollObjection:
    """Answer an objection (who and when are recorded). Raises ``NotPermitted``,
    ``PollStateError`` (already answered, or the poll is final) or ``ValidationError``."""
    locked = PollObjection.objects.select_for_update().select_related("poll").get(pk=objection.pk)
    _check_staff(actor, locked.poll)
    body = answer.strip()
    if not body:
        raise ValidationError({"answer": _("请填写答复内容")})
    if len(body) > TEXT_LIMIT:
        raise ValidationError(
            {"answer": _("答复内容过长(最多 %(limit)s 字)") % {"limit": TEXT_LIMIT}}
        )
    if locked.is_answered:
        raise PollStateError(_("该异议已经答复"))
    if locked.poll.status != PollStatus.CLOSED:
        raise PollStateError(_("最终结果已公布,不能再答复"))
    locked.answer = body
    locked.answered_by = actor
    locked.answered_at = timezone.now()
    locked.save(update_fields=["answer", "answered_by", "answered_at"])
    PollEvent.objects.create(
        poll=locked.poll,
        kind=PollEventKind.ANSWERED,
        actor=actor,
        data={"objection": locked.pk},
    )
    return locked
