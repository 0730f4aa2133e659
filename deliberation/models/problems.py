"""Common problems (共性问题) and area-wide checks (排查).

The task worker suggests groups of matters that look like one problem; staff confirm (keeping
the members they agree with, which is how a group is split) or dismiss them. A confirmed problem
is taken to the council as one matter: its member matters are merged into it, so its answer or
resolution answers each of them and each author is told.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberation.models.communities import Building, Community
from deliberation.models.proposals import Category, Proposal


class ProblemStatus(models.TextChoices):
    SUGGESTED = "suggested", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    RAISED = "raised", _("已提交议事")
    DISMISSED = "dismissed", _("不属共性问题")


class CommonProblem(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="common_problems"
    )
    title = models.CharField(_("问题名称"), max_length=120)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.SUGGESTED
    )
    # The best similarity that joined the suggested group (0-100), for sorting suggestions.
    score = models.PositiveSmallIntegerField(_("相似度"), default=0)
    cause = models.TextField(_("深层原因"), blank=True)
    # The one matter the council takes up for the whole group, once raised.
    proposal = models.OneToOneField(
        Proposal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="common_problem",
        verbose_name=_("议事议题"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("共性问题")
        verbose_name_plural = _("共性问题")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return self.title


class CommonProblemMatter(models.Model):
    """A matter in a problem. A matter belongs to at most one open (suggested or confirmed)
    problem; the service keeps that, and a suggestion never takes a matter already grouped."""

    problem = models.ForeignKey(CommonProblem, on_delete=models.CASCADE, related_name="matters")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="problem_links")

    class Meta:
        verbose_name = _("共性问题所含诉求")
        verbose_name_plural = _("共性问题所含诉求")
        constraints = [
            models.UniqueConstraint(fields=["problem", "proposal"], name="problem_matter_unique")
        ]


class AreaCheck(models.Model):
    """排查: a checklist over every building of a community, for one problem."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="area_checks")
    title = models.CharField(_("排查事项"), max_length=120)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    problem = models.ForeignKey(
        CommonProblem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checks",
        verbose_name=_("共性问题"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("全域排查")
        verbose_name_plural = _("全域排查")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.title


class FindingResult(models.TextChoices):
    PENDING = "pending", _("未排查")
    CLEAR = "clear", _("未发现问题")
    FOUND = "found", _("发现问题")


class AreaCheckFinding(models.Model):
    area_check = models.ForeignKey(AreaCheck, on_delete=models.CASCADE, related_name="findings")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")
    result = models.CharField(
        _("结果"), max_length=8, choices=FindingResult.choices, default=FindingResult.PENDING
    )
    note = models.TextField(_("情况"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    # The matter a finding raised, when it raised one.
    raised = models.ForeignKey(
        Proposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("排查记录")
        verbose_name_plural = _("排查记录")
        ordering = ["building__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["area_check", "building"], name="finding_unique_building"
            )
        ]


class ProblemScan(models.Model):
    """How far the suggestion scan has read: matters above ``last_proposal_id`` are new.

    One row; the scan locks it, so two workers never compare the same new matters twice.
    """

    last_proposal_id = models.PositiveBigIntegerField(default=0)
    scanned_at = models.DateTimeField(null=True, blank=True)
