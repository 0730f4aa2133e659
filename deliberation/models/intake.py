"""The intake network (DESIGN.md 倾诉箱, 民情日志): case numbers, box rounds and their slips, and
grid workers' visit logs.

Every matter gets a case number ``<community slug>-<yyyymm>-<seq>`` from :class:`CaseCounter`
(one row per community and month, incremented under its row lock). A box round is one opening of
a grid's suggestion box; each slip found becomes a matter on the ``box`` channel and keeps the
writer's name and phone here, never on the public matter. A visit log entry is what one household
raised when a grid worker called; it turns into a matter in one step (``proposal`` then names it).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseCounter(models.Model):
    """The last case number handed out in one community and month (``period`` as ``yyyymm``)."""

    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(max_length=6)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "period"], name="case_counter_unique")
        ]


class BoxRound(models.Model):
    """One opening of a grid's suggestion box (倾诉箱) by its grid worker."""

    grid = models.ForeignKey("deliberation.Grid", on_delete=models.CASCADE, related_name="rounds")
    opened_on = models.DateField(_("开箱日期"))
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("网格员"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("开箱记录")
        verbose_name_plural = _("开箱记录")
        ordering = ["-opened_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.grid} {self.opened_on:%Y-%m-%d}"


class BoxSlip(models.Model):
    """One slip found in the box: the matter it became and the writer's contact, if given."""

    round = models.ForeignKey(BoxRound, on_delete=models.CASCADE, related_name="slips")
    proposal = models.OneToOneField(
        "deliberation.Proposal", on_delete=models.CASCADE, related_name="box_slip"
    )
    contact_name = models.CharField(_("姓名"), max_length=60, blank=True)
    contact_phone = models.CharField(_("电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("意见箱纸条")
        verbose_name_plural = _("意见箱纸条")
        ordering = ["pk"]


class VisitLog(models.Model):
    """民情日志: one household a grid worker called on, what it raised and what follows."""

    grid = models.ForeignKey("deliberation.Grid", on_delete=models.CASCADE, related_name="visits")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("网格员"),
    )
    visited_on = models.DateField(_("走访日期"))
    building = models.ForeignKey(
        "deliberation.Building",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("楼栋"),
    )
    household = models.CharField(_("户(房号或户主)"), max_length=60)
    raised = models.TextField(_("反映的问题"), blank=True)
    follow_up = models.TextField(_("后续跟进"), blank=True)
    proposal = models.OneToOneField(
        "deliberation.Proposal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit_log",
        verbose_name=_("转成的议题"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("民情日志")
        verbose_name_plural = _("民情日志")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["grid", "-visited_on"])]

    def __str__(self) -> str:
        return f"{self.visited_on:%Y-%m-%d} {self.household}"
