"""Resolutions (决议) and their supervision: progress, completion, reopening, ratings, follow-up.

Status changes only through ``deliberation.resolutions.services`` which consults
``deliberation.resolutions.transitions`` and records a :class:`ResolutionTransition`.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliberation.models.communities import Community, Member, Party
from deliberation.models.proposals import Proposal, ProposalOption
from deliberation.models.uploads import progress_photo_path


class ResolutionStatus(models.TextChoices):
    # A draft waits for committee staff to complete its text and assign it (after a meeting).
    DRAFT = "draft", _("待完善")
    IN_PROGRESS = "in_progress", _("办理中")
    COMPLETED = "completed", _("已办结")
    REOPENED = "reopened", _("重新办理")


class Resolution(models.Model):
    """A decision (决议) and its supervision to completion.

    ``round`` starts at 1 and grows by one at every reopening: ratings belong to a round, so a
    resident rates each completion once. ``rating_closes_at`` is set at completion from the
    community's rating window.
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="resolutions")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="resolutions")
    adopted_option = models.ForeignKey(
        ProposalOption, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision = models.TextField(_("决议内容"))
    responsible_party = models.CharField(_("责任方"), max_length=12, choices=Party.choices)
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任人"),
    )
    deadline = models.DateField(_("办结期限"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ResolutionStatus.choices,
        default=ResolutionStatus.IN_PROGRESS,
    )
    decided_at = models.DateTimeField(_("决议时间"))
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Supervision state, written only by the resolution services.
    round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)
    percent_done = models.PositiveSmallIntegerField(_("完成进度(%)"), default=0)
    completion_report = models.TextField(_("办结报告"), blank=True)
    rating_closes_at = models.DateTimeField(_("测评截止时间"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("重新办理时间"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("录入人员"),
    )

    class Meta:
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        ordering = ["-decided_at"]
        indexes = [
            models.Index(fields=["community", "status", "deadline"]),
            models.Index(fields=["community", "-decided_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent_done__lte=100), name="resolution_percent_le_100"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(completed_at__isnull=False),
                name="resolution_completed_has_time",
            ),
            models.CheckConstraint(condition=models.Q(round__gte=1), name="resolution_round_ge_1"),
        ]

    def __str__(self) -> str:
        return self.decision[:60] if self.decision else f"#{self.pk}"

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Open past its deadline (computed, never stored)."""
        today = today or timezone.localdate()
        return (
            self.status in (ResolutionStatus.IN_PROGRESS, ResolutionStatus.REOPENED)
            and self.deadline < today
        )


class ProgressUpdate(models.Model):
    """A progress report by the responsible party's staff; ``is_completion`` marks the
    completion report (办结报告) that closes a round."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="updates")
    round = models.PositiveSmallIntegerField(default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("填报人"),
    )
    text = models.TextField(_("进展说明"))
    percent = models.PositiveSmallIntegerField(_("完成进度(%)"))
    is_completion = models.BooleanField(_("办结报告"), default=False)
    created_at = models.DateTimeField(_("填报时间"), default=timezone.now)

    class Meta:
        verbose_name = _("办理进展")
        verbose_name_plural = _("办理进展")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["resolution", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__lte=100), name="progress_percent_le_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent}% {self.text[:40]}"


class PhotoStage(models.TextChoices):
    BEFORE = "before", _("整改前")
    DURING = "during", _("施工中")
    AFTER = "after", _("整改后")


class ProgressPhoto(models.Model):
    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to=progress_photo_path)
    stage = models.CharField(
        _("拍摄阶段"), max_length=8, choices=PhotoStage.choices, default=PhotoStage.DURING
    )
    caption = models.CharField(_("说明"), max_length=120, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("进展照片")
        verbose_name_plural = _("进展照片")
        ordering = ["sort_order", "pk"]


class ResolutionTransition(models.Model):
    """One status step of a resolution: who (``actor`` is null when ``automatic``), when, from,
    to, and a note (the reason for a reopening)."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=ResolutionStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ResolutionStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    automatic = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["resolution", "at"])]


class RatingScore(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class RatingChannel(models.TextChoices):
    ONLINE = "online", _("网上测评")
    FOLLOWUP = "followup", _("回访记录")


class FollowUpKind(models.TextChoices):
    VISIT = "visit", _("上门回访")
    CALL = "call", _("电话回访")


class FollowUp(models.Model):
    """A follow-up visit or call (回访) by staff after completion."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="followups")
    round = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(_("回访方式"), max_length=8, choices=FollowUpKind.choices)
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("回访对象"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("回访人员"),
    )
    note = models.TextField(_("回访记录"), blank=True)
    at = models.DateTimeField(_("回访时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["at", "pk"]


class Rating(models.Model):
    """A resident's satisfaction rating (满意度测评) of one completion round, once each."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(default=1)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    score = models.CharField(_("评价"), max_length=12, choices=RatingScore.choices)
    comment = models.TextField(_("意见"), blank=True)
    channel = models.CharField(
        _("测评方式"), max_length=8, choices=RatingChannel.choices, default=RatingChannel.ONLINE
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("代录人员"),
    )
    followup = models.ForeignKey(
        FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="ratings"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resolution", "round", "member"], name="rating_once_per_round"
            ),
            models.CheckConstraint(
                condition=~models.Q(channel="followup") | models.Q(entered_by__isnull=False),
                name="rating_followup_has_staff",
            ),
        ]


class ReminderKind(models.TextChoices):
    OVERDUE_RESOLUTION = "overdue_resolution", _("决议逾期提醒")
    UNANSWERED_PROPOSAL = "unanswered_proposal", _("议题超时未答复提醒")


class ReminderLog(models.Model):
    """A reminder that was sent. ``key`` names the occasion (e.g. resolution 7, round 1,
    deadline 2026-11-30); the unique constraint makes sending twice impossible."""

    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    key = models.CharField(max_length=120)
    recipient = models.EmailField()
    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key", "recipient"], name="reminder_sent_once"),
        ]
