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
from votes.models import Poll


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


class MinutesRecord(RenderedDocument):
    """The minutes (会议纪要) of one meeting."""

    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="minutes_record"
    )
    requested_at = models.DateTimeField(_("请求时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议纪要")
        verbose_name_plural = _("会议纪要")

    def __str__(self) -> str:
        return gettext("%(meeting)s 会议纪要") % {"meeting": self.meeting}


class NoticeKind(models.TextChoices):
    VOTE_RESULT = "vote_result", _("表决结果公告")
    RESOLUTION = "resolution", _("决议公示")


class Notice(RenderedDocument):
    """A public notice (公示): an A4 poster with a serial number and a posting period.

    A notice is never edited: when what it shows changes, a new one with a new serial number
    supersedes it (``notice_issue``).
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="notices")
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=12, choices=NoticeKind.choices)
    poll = models.ForeignKey(
        Poll, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    resolution = models.ForeignKey(
        Resolution, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
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
                        kind=NoticeKind.VOTE_RESULT, poll__isnull=False, resolution__isnull=True
                    )
                    | models.Q(
                        kind=NoticeKind.RESOLUTION, resolution__isnull=False, poll__isnull=True
                    )
                ),
                name="notice_subject_matches_kind",
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
    def slug(self) -> str:
        """The serial in a URL: ``2026-3``."""
        return f"{self.year}-{self.number}"
