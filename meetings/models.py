from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberation.models import Community, Member, Party, Proposal
from votes.models import Poll


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    LIVE = "live", _("进行中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class Meeting(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("会议名称"), max_length=120)
    starts_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=120)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="facilitated_meetings",
        verbose_name=_("主持人"),
    )
    is_public = models.BooleanField(_("公开旁听"), default=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    current_item = models.ForeignKey(
        "AgendaItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Shown at the door; attendees type it to check themselves in (self check-in).
    checkin_code = models.CharField(_("签到码"), max_length=8, blank=True)
    # Grows with every state change; clients drop anything older than what they hold.
    seq = models.PositiveBigIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("取消原因"), blank=True)

    class Meta:
        verbose_name = _("议事会")
        verbose_name_plural = _("议事会")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="agenda_items"
    )
    title = models.CharField(_("议程"), max_length=200)
    poll = models.ForeignKey(
        Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="agenda_items"
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(default=True)
    self_checked_in = models.BooleanField(default=False)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once")
        ]


class SpeakerStatus(models.TextChoices):
    WAITING = "waiting", _("排队中")
    SPEAKING = "speaking", _("发言中")
    DONE = "done", _("已发言")
    WITHDRAWN = "withdrawn", _("已撤回")


class SpeakerRequest(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="speakers")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=SpeakerStatus.choices, default=SpeakerStatus.WAITING
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            # One person on the floor per item, and one open request per person per item.
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status=SpeakerStatus.SPEAKING),
                name="speaker_one_speaking_per_item",
            ),
            models.UniqueConstraint(
                fields=["item", "member"],
                condition=models.Q(status=SpeakerStatus.WAITING),
                name="speaker_one_waiting_per_member",
            ),
        ]


class Note(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("记录"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class Stance(models.TextChoices):
    SUPPORT = "support", _("支持")
    CONDITIONAL = "conditional", _("有条件支持")
    OPPOSE = "oppose", _("反对")


class PartyPosition(models.Model):
    """Each of the four parties' recorded position on an agenda item."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="positions")
    party = models.CharField(max_length=12, choices=Party.choices)
    stance = models.CharField(max_length=12, choices=Stance.choices)
    statement = models.TextField(_("意见陈述"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "party"], name="position_once_per_party")
        ]


class MeetingEventKind(models.TextChoices):
    EDITED = "edited", _("修改会议信息")
    RESCHEDULED = "rescheduled", _("改期")
    CANCELLED = "cancelled", _("取消会议")
    REORDERED = "reordered", _("调整议程顺序")
    POLL_REOPENED = "poll_reopened", _("重新开放表决")
    FOLLOWED_UP = "followed_up", _("会后按表决结果处理议题")


class MeetingEvent(models.Model):
    """The audit log of a meeting's changes after scheduling: who, when, why, and what changed
    (``data`` holds the old and new values)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=MeetingEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]


# Rendered documents (minutes, notices) live in their own module; import them so Django sees them.
from meetings.documents import (  # noqa: E402, F401
    MinutesRecord,
    MinutesRevision,
    MinutesStatus,
    Notice,
    NoticeKind,
    RenderStatus,
)
