"""Writes of the resolution side: create, progress, completion, reopening, ratings, follow-up.

Every status change goes through :func:`_transition`, which consults
``deliberation.resolutions.transitions``, takes the row lock and records a
``ResolutionTransition`` (who, when, from, to, note). Permission checks that protect the data
(only the responsible party reports progress; only residents rate; only community staff reopen)
are done here, so views, the admin, the API and commands cannot bypass them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import IO

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation.exceptions import (
    DeliberationError,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from deliberation.models import (
    FollowUp,
    FollowUpKind,
    Member,
    Party,
    PhotoStage,
    ProgressPhoto,
    ProgressUpdate,
    Proposal,
    ProposalOption,
    Rating,
    RatingChannel,
    RatingScore,
    Resolution,
    ResolutionStatus,
    ResolutionTransition,
    User,
)
from deliberation.notifications.services import (
    notify_resolution_assigned,
    notify_resolution_completed,
)
from deliberation.photos import MAX_PHOTOS, CleanPhoto, clean_photo
from deliberation.resolutions.rules import (
    can_manage_resolutions,
    can_post_progress,
    can_record_followup,
    can_reopen_resolution,
)
from deliberation.resolutions.transitions import (
    OPEN_STATUSES,
    check_resolution_transition,
    dissatisfied_share,
    should_reopen,
)

__all__ = [
    "PhotoInput",
    "RatingRefused",
    "followup_record",
    "progress_post",
    "rating_refusal",
    "rating_submit",
    "resolution_assign",
    "resolution_complete",
    "resolution_create",
    "resolution_reopen",
]


class RatingRefused(DeliberationError):
    """A rating that may not be recorded. ``code`` is one of :data:`RATING_REFUSAL_CODES`."""

    code = "rating_refused"


RATING_REFUSAL_CODES = (
    "not_resident",  # not a resident member of the resolution's community
    "not_completed",  # the resolution has no completion to rate (yet, or it was reopened)
    "window_closed",  # the community's rating window after completion has passed
    "already_rated",  # this member already rated this completion round
    "bad_score",  # not one of 满意 / 基本满意 / 不满意
)


@dataclass(frozen=True)
class PhotoInput:
    """An uploaded photo with its stage (before / during / after) and an optional caption."""

    file: IO[bytes]
    stage: str = PhotoStage.DURING
    caption: str = ""


# --- helpers ------------------------------------------------------------------------------------


def _locked(resolution: Resolution) -> Resolution:
    """Re-read ``resolution`` under a row lock (call inside ``atomic``)."""
    return Resolution.objects.select_for_update().select_related("community").get(pk=resolution.pk)


def _transition(
    resolution: Resolution,
    *,
    to_status: str,
    actor: User | None,
    note: str = "",
    report: str = "",
    automatic: bool = False,
    at: dt.datetime | None = None,
) -> ResolutionTransition:
    check = check_resolution_transition(resolution.status, to_status, reason=note, report=report)
    if not check.allowed:
        raise TransitionNotAllowed(check.reason)
    step = ResolutionTransition.objects.create(
        resolution=resolution,
        from_status=resolution.status if resolution.pk and resolution.status else "",
        to_status=to_status,
        actor=actor,
        automatic=automatic,
        note=note,
        at=at or timezone.now(),
    )
    return step


def _clean_photos(photos: Sequence[PhotoInput]) -> list[tuple[PhotoInput, CleanPhoto]]:
    if len(photos) > MAX_PHOTOS:
        message = _("每次最多上传 %(count)s 张照片。") % {"count": MAX_PHOTOS}
        raise InvalidInput(message, fields={"photos": [message]})
    cleaned = []
    for photo in photos:
        if photo.stage not in PhotoStage.values:
            message = _("照片阶段无效。")
            raise InvalidInput(message, fields={"photos": [message]})
        cleaned.append((photo, clean_photo(photo.file)))
    return cleaned


def _store_photos(update: ProgressUpdate, cleaned: list[tuple[PhotoInput, CleanPhoto]]) -> None:
    for index, (photo, clean) in enumerate(cleaned):
        stored = ProgressPhoto(
            update=update,
            stage=photo.stage,
            caption=photo.caption[:120],
            width=clean.width,
            height=clean.height,
            sort_order=index,
        )
        name = clean.content.name or f"progress-{update.pk}-{index}.jpg"
        stored.image.save(name, clean.content, save=False)
        stored.save()


def _check_percent(percent: int) -> int:
    try:
        value = int(percent)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 100:
        message = _("完成进度须为 0 到 100 之间的整数。")
        raise InvalidInput(message, fields={"percent": [message]})
    return value


# --- create -------------------------------------------------------------------------------------


def resolution_create(
    *,
    proposal: Proposal,
    decision: str,
    responsible_party: str,
    deadline: dt.date,
    actor: User | None,
    adopted_option: ProposalOption | None = None,
    responsible_person: User | None = None,
    note: str = "",
    draft: bool = False,
) -> Resolution:
    """Create a resolution (status ``in_progress``, or ``draft`` when ``draft``) for
    ``proposal`` and record the first step. A draft is not public and runs no deadline until
    committee staff complete and assign it (:func:`resolution_assign`).

    Called by ``votes`` when a poll decides a proposal, and by community staff for matters settled
    without a vote. It does not move the proposal's own status (callers do, through
    ``proposal_transition``) and does not check the actor's permission (callers do: the poll's
    closing or ``resolution_rules.can_manage_resolutions``).

    Raises :class:`InvalidInput` for an empty decision, an unknown party, a missing deadline or an
    option of another proposal.
    """
    errors: dict[str, list[str]] = {}
    if not (decision or "").strip():
        errors["decision"] = [_("请填写决议内容。")]
    if responsible_party not in Party.values:
        errors["responsible_party"] = [_("请选择责任方。")]
    if not isinstance(deadline, dt.date):
        errors["deadline"] = [_("请填写办结期限。")]
    if adopted_option is not None and adopted_option.proposal_id != proposal.pk:
        errors["adopted_option"] = [_("所选方案不属于该议题。")]
    if errors:
        raise InvalidInput(_("决议信息不完整。"), fields=errors)
    if isinstance(deadline, dt.datetime):
        deadline = deadline.date()
    now = timezone.now()
    with transaction.atomic():
        resolution = Resolution(
            community_id=proposal.community_id,
            proposal=proposal,
            adopted_option=adopted_option,
            decision=decision.strip(),
            responsible_party=responsible_party,
            responsible_person=responsible_person,
            deadline=deadline,
            status="",
            decided_at=now,
            note=note,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        if draft:
            first = ResolutionStatus.DRAFT
            step_note = note or _("会后生成决议草稿,待社区工作人员完善并交办")
        else:
            first = ResolutionStatus.IN_PROGRESS
            step_note = note or _("形成决议,责任方:%(party)s,办结期限:%(deadline)s") % {
                "party": Party(responsible_party).label,
                "deadline": deadline.isoformat(),
            }
        check = check_resolution_transition("", first)
        if not check.allowed:  # pragma: no cover - the table always allows creation
            raise TransitionNotAllowed(check.reason)
        resolution.status = first
        resolution.save()
        ResolutionTransition.objects.create(
            resolution=resolution,
            from_status="",
            to_status=first,
            actor=resolution.created_by,
            note=step_note,
            at=now,
        )
        if not draft:
            notify_resolution_assigned(resolution=resolution)
    return resolution


def resolution_assign(
    *,
    resolution: Resolution,
    actor: User,
    decision: str,
    responsible_party: str,
    deadline: dt.date,
    responsible_person: User | None = None,
) -> Resolution:
    """Complete a draft resolution and assign it: ``draft`` → ``in_progress``.

    Committee staff of the resolution's community only (``can_manage_resolutions``). Raises
    :class:`NotPermitted`, :class:`InvalidInput` (empty decision, unknown party, no deadline, a
    responsible person who is not staff of that party there) or :class:`TransitionNotAllowed`
    when the resolution is no longer a draft; nothing is written on error.
    """
    if not can_manage_resolutions(actor, resolution.community):
        raise NotPermitted(_("只有本社区的工作人员可以交办决议。"))
    errors: dict[str, list[str]] = {}
    if not (decision or "").strip():
        errors["decision"] = [_("请填写决议内容。")]
    if responsible_party not in Party.values:
        errors["responsible_party"] = [_("请选择责任方。")]
    if not isinstance(deadline, dt.date):
        errors["deadline"] = [_("请填写办结期限。")]
    if (
        responsible_person is not None
        and not Member.objects.filter(
            community_id=resolution.community_id, user=responsible_person, party=responsible_party
        ).exists()
    ):
        errors["responsible_person"] = [_("责任人须为本社区该责任方的人员。")]
    if errors:
        raise InvalidInput(_("决议信息不完整。"), fields=errors)
    if isinstance(deadline, dt.datetime):
        deadline = deadline.date()
    with transaction.atomic():
        locked = _locked(resolution)
        step = _transition(
            locked,
            to_status=ResolutionStatus.IN_PROGRESS,
            actor=actor,
            note=_("完善决议并交办,责任方:%(party)s,办结期限:%(deadline)s")
            % {"party": Party(responsible_party).label, "deadline": deadline.isoformat()},
        )
        locked.decision = decision.strip()
        locked.responsible_party = responsible_party
        locked.responsible_person = responsible_person
        locked.deadline = deadline
        locked.status = ResolutionStatus.IN_PROGRESS
        locked.decided_at = step.at
        locked.save(
            update_fields=[
                "decision",
                "responsible_party",
                "responsible_person",
                "deadline",
                "status",
                "decided_at",
            ]
        )
        notify_resolution_assigned(resolution=locked)
    resolution.refresh_from_db()
    return resolution


# --- progress and completion --------------------------------------------------------------------


def progress_post(
    *,
    resolution: Resolution,
    actor: User,
    text: str,
    percent: int,
    photos: Sequence[PhotoInput] = (),
) -> ProgressUpdate:
    """Post a progress update with optional photos.

    Only the responsible party's staff (``can_post_progress``) may, and only while the resolution
    is open (in progress or reopened). Raises :class:`NotPermitted`, :class:`TransitionNotAllowed`
    (code ``not_open``) or :class:`InvalidInput`; nothing is stored on error.
    """
    if not can_post_progress(actor, resolution):
        raise NotPermitted(_("只有责任方的工作人员可以填报进展。"))
    if not (text or "").strip():
        message = _("请填写进展说明。")
        raise InvalidInput(message, fields={"text": [message]})
    value = _check_percent(percent)
    cleaned = _clean_photos(photos)
    with transaction.atomic():
        locked = _locked(resolution)
        if locked.status not in OPEN_STATUSES:
            raise TransitionNotAllowed(_("决议已办结,不能再填报进展。"), code="not_open")
        update = ProgressUpdate.objects.create(
            resolution=locked,
            round=locked.round,
            author=actor,
            text=text.strip(),
            percent=value,
        )
        _store_photos(update, cleaned)
        locked.percent_done = value
        locked.save(update_fields=["percent_done"])
    resolution.refresh_from_db()
    return update


def resolution_complete(
    *,
    resolution: Resolution,
    actor: User,
    report: str,
    photos: Sequence[PhotoInput] = (),
) -> Resolution:
    """Close the current round with a completion report (办结报告), opening the rating window.

    Same permission as :func:`progress_post`. The report is stored as a progress update at 100%
    with ``is_completion``; ``rating_closes_at`` = now + the community's rating window.
    """
    if not can_post_progress(actor, resolution):
        raise NotPermitted(_("只有责任方的工作人员可以提交办结报告。"))
    if not (report or "").strip():
        message = _("请填写办结报告。")
        raise InvalidInput(message, fields={"report": [message]})
    cleaned = _clean_photos(photos)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(resolution)
        _transition(
            locked,
            to_status=ResolutionStatus.COMPLETED,
            actor=actor,
            note=report.strip(),
            report=report,
            at=now,
        )
        update = ProgressUpdate.objects.create(
            resolution=locked,
            round=locked.round,
            author=actor,
            text=report.strip(),
            percent=100,
            is_completion=True,
            created_at=now,
        )
        _store_photos(update, cleaned)
        locked.status = ResolutionStatus.COMPLETED
        locked.completed_at = now
        locked.percent_done = 100
        locked.completion_report = report.strip()
        locked.rating_closes_at = now + dt.timedelta(days=locked.community.rating_window_days)
        locked.save(
            update_fields=[
                "status",
                "completed_at",
                "percent_done",
                "completion_report",
                "rating_closes_at",
            ]
        )
        notify_resolution_completed(resolution=locked)
    resolution.refresh_from_db()
    return resolution


def _reopen(
    locked: Resolution,
    *,
    actor: User | None,
    reason: str,
    automatic: bool,
    deadline: dt.date | None,
) -> None:
    now = timezone.now()
    _transition(
        locked,
        to_status=ResolutionStatus.REOPENED,
        actor=actor,
        note=reason.strip(),
        automatic=automatic,
        at=now,
    )
    locked.status = ResolutionStatus.REOPENED
    locked.round += 1
    locked.reopened_at = now
    locked.completed_at = None
    locked.rating_closes_at = None
    locked.percent_done = 0
    locked.deadline = deadline or (
        timezone.localdate() + dt.timedelta(days=locked.community.resolution_days)
    )
    locked.save(
        update_fields=[
            "status",
            "round",
            "reopened_at",
            "completed_at",
            "rating_closes_at",
            "percent_done",
            "deadline",
        ]
    )


def resolution_reopen(
    *,
    resolution: Resolution,
    actor: User,
    reason: str,
    deadline: dt.date | None = None,
) -> Resolution:
    """Community staff reopen a completed resolution with a reason (shown on the timeline).

    A new round starts (ratings of the old round stay, the new completion is rated afresh); the
    deadline becomes ``deadline`` or today + the community's default time limit.
    """
    if not can_reopen_resolution(actor, resolution):
        raise NotPermitted(_("只有社区工作人员可以重新启动办理。"))
    if not (reason or "").strip():
        message = _("请填写重新办理的理由。")
        raise InvalidInput(message, fields={"reason": [message]})
    with transaction.atomic():
        locked = _locked(resolution)
        _reopen(locked, actor=actor, reason=reason, automatic=False, deadline=deadline)
    resolution.refresh_from_db()
    return resolution


# --- ratings and follow-up ----------------------------------------------------------------------


def rating_refusal(
    *, resolution: Resolution, member: Member | None, now: dt.datetime | None = None
) -> str | None:
    """Why ``member`` may not rate ``resolution`` now (a code), or ``None`` when they may.

    Does not check an existing rating of the round (the unique constraint does, see
    :func:`rating_submit`); callers showing a form check ``already_rated`` via the selector.
    """
    now = now or timezone.now()
    if (
        member is None
        or member.community_id != resolution.community_id
        or member.party != Party.RESIDENT
    ):
        return "not_resident"
    if resolution.status != ResolutionStatus.COMPLETED or resolution.completed_at is None:
        return "not_completed"
    if resolution.rating_closes_at is None or now > resolution.rating_closes_at:
        return "window_closed"
    return None


REFUSAL_MESSAGES = {
    "not_resident": gettext_noop("只有本社区居民可以评价。"),
    "not_completed": gettext_noop("决议尚未办结,暂不能评价。"),
    "window_closed": gettext_noop("满意度测评期已结束。"),
    "already_rated": gettext_noop("您已评价过本次办理结果。"),
    "bad_score": gettext_noop("请选择满意、基本满意或不满意。"),
}


def _refuse(code: str) -> RatingRefused:
    return RatingRefused(_(REFUSAL_MESSAGES[code]), code=code)


def _round_counts(resolution: Resolution) -> dict[str, int]:
    rows = (
        Rating.objects.filter(resolution=resolution, round=resolution.round)
        .values("score")
        .annotate(n=Count("pk"))
    )
    counts = {score: 0 for score in RatingScore.values}
    for row in rows:
        counts[row["score"]] = row["n"]
    return counts


def _maybe_reopen_automatically(locked: Resolution) -> bool:
    counts = _round_counts(locked)
    threshold = Fraction(str(locked.community.reopen_dissatisfied_share))
    if not should_reopen(
        satisfied=counts[RatingScore.SATISFIED],
        basic=counts[RatingScore.BASIC],
        dissatisfied=counts[RatingScore.DISSATISFIED],
        threshold=threshold,
    ):
        return False
    share = dissatisfied_share(
        satisfied=counts[RatingScore.SATISFIED],
        basic=counts[RatingScore.BASIC],
        dissatisfied=counts[RatingScore.DISSATISFIED],
    )
    total = sum(counts.values())
    reason = _(
        "满意度测评中不满意 %(dissatisfied)s 人,占 %(total)s 人的 %(share)s%%,"
        "达到本社区设定的 %(threshold)s%%,系统自动重新办理。"
    ) % {
        "dissatisfied": counts[RatingScore.DISSATISFIED],
        "total": total,
        "share": round(float(share) * 100, 1),
        "threshold": round(float(threshold) * 100, 1),
    }
    _reopen(locked, actor=None, reason=reason, automatic=True, deadline=None)
    return True


def _rate(
    *,
    resolution: Resolution,
    member: Member | None,
    score: str,
    comment: str,
    channel: str,
    entered_by: User | None,
    followup: FollowUp | None,
) -> Rating:
    """Insert one rating under the resolution's row lock (call inside ``atomic``)."""
    if score not in RatingScore.values:
        raise _refuse("bad_score")
    locked = _locked(resolution)
    code = rating_refusal(resolution=locked, member=member)
    if code or member is None:  # rating_refusal refuses a missing member as "not_resident"
        raise _refuse(code or "not_resident")
    if Rating.objects.filter(resolution=locked, round=locked.round, member=member).exists():
        raise _refuse("already_rated")
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                resolution=locked,
                round=locked.round,
                member=member,
                score=score,
                comment=(comment or "").strip(),
                channel=channel,
                entered_by=entered_by,
                followup=followup,
            )
    except IntegrityError as exc:  # a concurrent rating of the same member won the race
        raise _refuse("already_rated") from exc
    _maybe_reopen_automatically(locked)
    return rating


def rating_submit(
    *,
    resolution: Resolution,
    member: Member | None,
    score: str,
    comment: str = "",
) -> Rating:
    """A resident rates the current completion online (满意 / 基本满意 / 不满意), once per round,
    inside the rating window. Raises :class:`RatingRefused` with a code from
    :data:`RATING_REFUSAL_CODES`. When the round's dissatisfied share reaches the community's
    threshold, the resolution reopens by itself with the reason on the timeline."""
    with transaction.atomic():
        rating = _rate(
            resolution=resolution,
            member=member,
            score=score,
            comment=comment,
            channel=RatingChannel.ONLINE,
            entered_by=None,
            followup=None,
        )
    resolution.refresh_from_db()
    return rating


def followup_record(
    *,
    resolution: Resolution,
    actor: User,
    kind: str,
    member: Member | None = None,
    note: str = "",
    score: str = "",
    comment: str = "",
) -> FollowUp:
    """Community staff record a follow-up visit or call (回访); when ``score`` is given, the
    resident's rating gathered there is stored with channel ``followup`` and ``entered_by`` the
    staff member, under the same rules as :func:`rating_submit` (once per round, in the window).
    Nothing is stored when the rating is refused."""
    if not can_record_followup(actor, resolution):
        raise NotPermitted(_("只有社区工作人员可以登记回访。"))
    if kind not in FollowUpKind.values:
        message = _("请选择回访方式。")
        raise InvalidInput(message, fields={"kind": [message]})
    if member is not None and member.community_id != resolution.community_id:
        message = _("回访对象不是本社区成员。")
        raise InvalidInput(message, fields={"member": [message]})
    if score and member is None:
        message = _("登记评价时请选择被回访的居民。")
        raise InvalidInput(message, fields={"member": [message]})
    with transaction.atomic():
        locked = _locked(resolution)
        followup = FollowUp.objects.create(
            resolution=locked,
            round=locked.round,
            kind=kind,
            member=member,
            staff=actor,
            note=(note or "").strip(),
        )
        if score:
            _rate(
                resolution=locked,
                member=member,
                score=score,
                comment=comment,
                channel=RatingChannel.FOLLOWUP,
                entered_by=actor,
                followup=followup,
            )
    resolution.refresh_from_db()
    return followup
