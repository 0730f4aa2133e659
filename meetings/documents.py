"""Rendered documents: the minutes of a meeting and public notices (公示), kept as PDFs.

Both are Wagtail documents rendered in the background; the render state lives here so staff can
see a pending or failed render, its error and its attempts, while the meeting data is untouched.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string

from deliberation.models import Community, Resolution
from deliberation.models.uploads import unguessable_name
from votes.models import Poll

NOTICE_PHOTOS = "notices"


def notice_photo_path(instance: object, filename: str) -> str:
    return unguessable_name(NOTICE_PHOTOS, filename)


class RenderStatus(models.TextChoices):
    PENDING = "pending", _("等待生成")
    OK = "ok", _("已生成")
    FAILED = "failed", _("生成失败")


class RenderedDocument(models.Model):
    """The state of a background PDF render."""

    render_status = models.CharField(
        _("生成状态"), max_length=8, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    render_attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    render_error = models.TextField(_("错误信息"), blank=True)
    document = models.ForeignKey(
        get_document_model_string(),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("PDF 文件"),
    )
    # sha256 of the rendered HTML: the same data renders to the same text.
    html_hash = models.CharField(max_length=64, blank=True)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)

    class Meta:
        abstract = True


class MinutesStatus(models.TextChoices):
    """Review state: the facilitator corrects a draft, marks it final, a later meeting approves."""

    DRAFT = "draft", _("草稿(待审核)")
    FINAL = "final", _("定稿")
    APPROVED = "approved", _("已经会议确认")


class MinutesRecord(RenderedDocument):
    """The minutes (会议纪要) of one meeting.

    The rendered PDF prints the latest revision's corrections; the public sees it only once
    final. ``approval_item`` is the agenda item of a later meeting that approves these minutes.
    """

    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="minutes_record"
    )
    requested_at = models.DateTimeField(_("请求时间"), auto_now_add=True)
    status = models.CharField(
        _("审核状态"), max_length=8, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT
    )
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("定稿人"),
    )
    approval_item = models.OneToOneField(
        "meetings.AgendaItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="approves_minutes",
        verbose_name=_("审议本纪要的议程"),
    )
    approved_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("会议纪要")
        verbose_name_plural = _("会议纪要")

    def __str__(self) -> str:
        return gettext("%(meeting)s 会议纪要") % {"meeting": self.meeting}

    @property
    def is_public(self) -> bool:
        """The public sees final (and approved) minutes only, never a draft."""
        return self.status in (MinutesStatus.FINAL, MinutesStatus.APPROVED)


class MinutesRevision(models.Model):
    """One round of the facilitator's corrections; every round is kept, the latest applies.

    ``summary`` is a corrected summary printed at the head of the minutes; ``item_notes`` maps
    an agenda item id (as a string) to the correction printed under that item.
    """

    record = models.ForeignKey(MinutesRecord, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("修订号"))
    summary = models.TextField(_("纪要摘要(修订)"), blank=True)
    item_notes = models.JSONField(_("各议程更正"), default=dict, blank=True)
    reason = models.CharField(_("修订说明"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("修订人"),
    )
    at = models.DateTimeField(_("修订时间"))

    class Meta:
        verbose_name = _("纪要修订")
        verbose_name_plural = _("纪要修订")
        ordering = ["record", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="minutes_revision_number")
        ]

    def __str__(self) -> str:
        return gettext("修订 %(number)s") % {"number": self.number}


class NoticeKind(models.TextChoices):
    POLL_OPENING = "poll_opening", _("表决公告")
    POLL_PROGRESS = "poll_progress", _("表决进度公告")
    # A pause, an outage of the online channel, a resumption or an extension of the period.
    POLL_CHANGE = "poll_change", _("表决期变动公告")
    # The stored value predates the split into preliminary and final result notices.
    PRELIMINARY_RESULT = "vote_result", _("表决结果(初步)公示")
    FINAL_RESULT = "final_result", _("表决最终结果公告")
    RESOLUTION = "resolution", _("决议公示")
    MEETING = "meeting", _("议事会召开公告")


POLL_NOTICE_KINDS = (
    NoticeKind.POLL_OPENING,
    NoticeKind.POLL_PROGRESS,
    NoticeKind.POLL_CHANGE,
    NoticeKind.PRELIMINARY_RESULT,
    NoticeKind.FINAL_RESULT,
)


class Notice(RenderedDocument):
    """A public notice (公示): an A4 poster with a serial number and a posting period.

    A notice is never edited: when what it shows changes, or staff correct it with a reason, a
    new one with a new serial number supersedes it (``notice_issue``, ``notice_reissue``); staff
    may withdraw one with a reason (``notice_withdraw``). Superseded and withdrawn notices stay
    as the record of what was posted.
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="notices")
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=16, choices=NoticeKind.choices)
    poll = models.ForeignKey(
        Poll, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    resolution = models.ForeignKey(
        Resolution, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("议事会"),
    )
    title = models.CharField(_("标题"), max_length=200)
    issuing_body = models.CharField(_("发布单位"), max_length=120)
    posted_from = models.DateField(_("公示开始"))
    posted_until = models.DateField(_("公示截止"))
    content = models.JSONField(_("公示内容"))
    content_hash = models.CharField(max_length=64)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("取代"),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("发布时间"))
    reissue_reason = models.TextField(_("重新发布原因"), blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤回人"),
    )
    withdrawal_reason = models.TextField(_("撤回原因"), blank=True)
    # A photo of the poster on the notice board: the proof that it was posted.
    posting_photo = models.ImageField(
        _("张贴照片"), upload_to=notice_photo_path, blank=True, max_length=200
    )
    posting_photo_at = models.DateTimeField(_("照片上传时间"), null=True, blank=True)
    posting_photo_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("照片上传人"),
    )

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "number"], name="notice_serial_unique"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind__in=POLL_NOTICE_KINDS,
                        poll__isnull=False,
                        resolution__isnull=True,
                        meeting__isnull=True,
                    )
                    | models.Q(
                        kind=NoticeKind.RESOLUTION,
                        resolution__isnull=False,
                        poll__isnull=True,
                        meeting__isnull=True,
                    )
                    | models.Q(
                        kind=NoticeKind.MEETING,
                        meeting__isnull=False,
                        poll__isnull=True,
                        resolution__isnull=True,
                    )
                ),
                name="notice_subject_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdrawal_reason=""),
                name="notice_withdrawal_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(posted_until__gte=models.F("posted_from")),
                name="notice_posting_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def serial(self) -> str:
        """The serial number as printed, e.g. 民主村公示〔2026〕第3号."""
        return gettext("%(community)s公示〔%(year)s〕第%(number)s号") % {
            "community": self.community.name,
            "year": self.year,
            "number": self.number,
        }

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def slug(self) -> str:
        """The serial in a URL: ``2026-3``."""
        return f"{self.year}-{self.number}"
