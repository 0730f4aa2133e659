"""Notifications (通知): one row per event and recipient, delivered by the task worker.

Written only by ``deliberation.notifications.services``; the unique ``dedupe_key`` (the occasion
plus the recipient) makes a second notification of the same event impossible, however often the
calling service or task runs.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberation.models.communities import Community, NotificationChannel, Unit
from deliberation.models.proposals import Proposal
from deliberation.models.resolutions import Resolution

__all__ = ["Notification", "NotificationChannel", "NotificationKind", "NotificationStatus"]


class NotificationKind(models.TextChoices):
    PROPOSAL_ACCEPTED = "proposal_accepted", _("议题已受理")
    PROPOSAL_ANSWERED = "proposal_answered", _("议题已答复")
    PROPOSAL_REJECTED = "proposal_rejected", _("议题不予受理")
    PROPOSAL_MERGED = "proposal_merged", _("议题已合并")
    PROPOSAL_SCHEDULED = "proposal_scheduled", _("议题已列入议事会")
    PROPOSAL_DECIDED = "proposal_decided", _("议题已形成决议")
    PROPOSAL_NOT_ADOPTED = "proposal_not_adopted", _("议题未获通过")
    RESOLUTION_ASSIGNED = "resolution_assigned", _("决议交办")
    RESOLUTION_DEADLINE = "resolution_deadline", _("决议明天到期")
    RESOLUTION_COMPLETED = "resolution_completed", _("决议已办结")
    POLL_OPENED = "poll_opened", _("表决开始")
    POLL_CLOSING = "poll_closing", _("表决即将截止")
    MEETING_SCHEDULED = "meeting_scheduled", _("议事会通知")
    MEETING_CHANGED = "meeting_changed", _("议事会时间地点变更")
    DISPATCH_ASSIGNED = "dispatch_assigned", _("派件通知")
    DISPATCH_CLAIMED = "dispatch_claimed", _("责任单位已认领")
    DISPATCH_FEEDBACK = "dispatch_feedback", _("责任单位办理反馈")
    DISPATCH_ESCALATED = "dispatch_escalated", _("派件上报街道")
    GENERAL = "general", _("其他通知")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """One message to one person about one occasion.

    ``channel`` is the person's preferred channel at creation (``Member.preferred_channel``, or
    the first usable one); every notification also shows in the person's inbox. A letter is
    ``pending`` until staff print the building's batch (``sent_at`` is then the print time).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("社区")
    )
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=NotificationChannel.choices)
    status = models.CharField(
        _("状态"),
        max_length=8,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    # The subject: a proposal or a resolution when there is one; ``subject_key`` names any other
    # (``poll:12``, ``meeting:3``), since deliberation may not refer to votes or meetings rows.
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    subject_key = models.CharField(max_length=80, blank=True)
    # The household a letter goes to (set for letters only).
    unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=250, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The header's unread count and the inbox list.
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["status", "channel"], name="notification_pending"),
        ]

    def __str__(self) -> str:
        return self.title
