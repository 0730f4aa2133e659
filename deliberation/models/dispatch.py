"""Dispatch (派件) of matters to responsible units (责任单位), and what the units do with them.

A ``ResponsibleUnit`` (property company, water, power, heating, gas, city management, police
station, contractor) serves several communities and has its own staff (``UnitStaff``). A matter
is sent to one unit at a time as a ``Dispatch`` with the due times its ``DispatchLimit`` gave at
dispatch; the unit claims it by name (实名认领) or returns it with a reason, reports feedback and
completion. Every step is a ``DispatchEvent`` on the matter's timeline. Overdue is computed from
the due times and the clock (``deliberation.dispatch.limits``), never stored by hand; the
escalation to the street records when and why it happened.

Status changes only through ``deliberation.dispatch.services`` (table:
``deliberation.dispatch.transitions``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliberation.models.communities import Community
from deliberation.models.levels import Street
from deliberation.models.proposals import Category, Proposal


class UnitKind(models.TextChoices):
    PROPERTY = "property", _("物业公司")
    WATER = "water", _("供水")
    POWER = "power", _("供电")
    HEATING = "heating", _("供暖")
    GAS = "gas", _("燃气")
    CITY_MANAGEMENT = "city_management", _("城管")
    POLICE = "police", _("派出所")
    CONTRACTOR = "contractor", _("施工单位")
    OTHER = "other", _("其他")


class ResponsibleUnit(models.Model):
    """责任单位: an organisation that does the work, serving several communities."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=UnitKind.choices)
    communities = models.ManyToManyField(
        Community, related_name="responsible_units", verbose_name=_("服务社区"), blank=True
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class UnitStaff(models.Model):
    """A person working for a responsible unit: sees and acts on what is dispatched to it."""

    unit = models.ForeignKey(ResponsibleUnit, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_posts"
    )
    title = models.CharField(_("职务"), max_length=60, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("责任单位工作人员")
        verbose_name_plural = _("责任单位工作人员")
        constraints = [
            models.UniqueConstraint(fields=["unit", "user"], name="unit_staff_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit}"


class DispatchLimit(models.Model):
    """限时: a street's time limits for one category (defaults apply where no row exists)."""

    street = models.ForeignKey(
        Street, on_delete=models.CASCADE, related_name="dispatch_limits", verbose_name=_("街道")
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    claim_hours = models.PositiveSmallIntegerField(_("认领时限(小时)"))
    feedback_days = models.PositiveSmallIntegerField(_("反馈时限(天)"))
    return_hours = models.PositiveSmallIntegerField(_("退件时限(小时)"))

    class Meta:
        verbose_name = _("派件时限")
        verbose_name_plural = _("派件时限")
        constraints = [
            models.UniqueConstraint(fields=["street", "category"], name="dispatch_limit_unique"),
            models.CheckConstraint(
                condition=models.Q(claim_hours__gt=0, feedback_days__gt=0, return_hours__gt=0),
                name="dispatch_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.street} · {self.get_category_display()}"


class DispatchStatus(models.TextChoices):
    DISPATCHED = "dispatched", _("待认领")
    CLAIMED = "claimed", _("已认领")
    RETURNED = "returned", _("已退件")
    TRANSFERRED = "transferred", _("已转派")
    COMPLETED = "completed", _("已办结")


# A matter has at most one dispatch in these states (a database constraint).
ACTIVE_DISPATCH_STATUSES = (DispatchStatus.DISPATCHED, DispatchStatus.CLAIMED)


class EscalationReason(models.TextChoices):
    CLAIM_OVERDUE = "claim_overdue", _("超时未认领")
    FEEDBACK_OVERDUE = "feedback_overdue", _("超时未反馈")
    RETURNED_TWICE = "returned_twice", _("两次退件")


class Dispatch(models.Model):
    """One sending of a matter to a unit, with the due times fixed when it was sent."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="dispatches")
    unit = models.ForeignKey(
        ResponsibleUnit,
        on_delete=models.PROTECT,
        related_name="dispatches",
        verbose_name=_("责任单位"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=DispatchStatus.choices, default=DispatchStatus.DISPATCHED
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("派件时间"), default=timezone.now)
    note = models.TextField(_("派件说明"), blank=True)
    claim_due_at = models.DateTimeField(_("认领期限"))
    return_due_at = models.DateTimeField(_("退件期限"))
    feedback_due_at = models.DateTimeField(_("反馈期限"))
    # 实名认领: the person who claimed it.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("认领人"),
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    first_feedback_at = models.DateTimeField(_("首次反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    return_reason = models.TextField(_("退件理由"), blank=True)
    completion_report = models.TextField(_("办结情况"), blank=True)
    escalated_at = models.DateTimeField(_("上报街道时间"), null=True, blank=True)
    escalation_reason = models.CharField(
        _("上报原因"), max_length=20, choices=EscalationReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("派件")
        verbose_name_plural = _("派件")
        ordering = ["-dispatched_at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "status", "dispatched_at"]),
            models.Index(fields=["status", "claim_due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal"],
                condition=models.Q(status__in=["dispatched", "claimed"]),
                name="dispatch_one_active_per_matter",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="returned") | ~models.Q(return_reason=""),
                name="dispatch_returned_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(status="dispatched")
                | models.Q(status="returned")
                | models.Q(status="transferred")
                | models.Q(claimed_by__isnull=False),
                name="dispatch_claimed_has_person",
            ),
            models.CheckConstraint(
                condition=~models.Q(escalated_at__isnull=False) | ~models.Q(escalation_reason=""),
                name="dispatch_escalation_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal} → {self.unit}"


class DispatchEventKind(models.TextChoices):
    DISPATCHED = "dispatched", _("派件")
    CLAIMED = "claimed", _("认领")
    RETURNED = "returned", _("退件")
    FEEDBACK = "feedback", _("办理反馈")
    COMPLETED = "completed", _("办结")
    TRANSFERRED = "transferred", _("转派")
    ESCALATED = "escalated", _("上报街道")


class DispatchEvent(models.Model):
    """One step of a dispatch, shown on the matter's timeline: who, when, what, a note."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="events")
    # The matter, repeated so a timeline reads its events in one query.
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="dispatch_events")
    kind = models.CharField(max_length=12, choices=DispatchEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["proposal", "at"])]
        constraints = [
            # The escalation of a dispatch happens once, however often the command runs.
            models.UniqueConstraint(
                fields=["dispatch"],
                condition=models.Q(kind="escalated"),
                name="dispatch_escalated_once",
            )
        ]
