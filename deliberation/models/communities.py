from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Party(models.TextChoices):
    """The four parties at the table."""

    RESIDENT = "resident", _("居民/业主")
    PROPERTY = "property", _("物业")
    COMMITTEE = "committee", _("社区居委会")
    DEPARTMENT = "department", _("职能部门")


class NotificationChannel(models.TextChoices):
    """How a person wants to be told (kept on their registry row, ``Member``)."""

    INBOX = "inbox", _("站内消息")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    LETTER = "letter", _("纸质通知(楼栋长送达)")


# The three parties whose people act as staff (everyone but residents).
STAFF_PARTIES = (Party.PROPERTY, Party.COMMITTEE, Party.DEPARTMENT)


class Community(models.Model):
    """A deliberation space (社区 / 小区) with its own rules and time limits."""

    name = models.CharField(_("名称"), max_length=100)
    slug = models.SlugField(_("网址标识"), max_length=60, unique=True)
    district = models.CharField(_("所属街道"), max_length=100, blank=True)
    # The street office over this community (scope: its staff act on every community of it).
    street = models.ForeignKey(
        "deliberation.Street",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communities",
        verbose_name=_("街道"),
    )
    description = models.TextField(_("简介"), blank=True)
    # Printed on receipt slips and contact cards (民情联系卡); the street's hotline otherwise.
    hotline = models.CharField(_("社区服务电话"), max_length=30, blank=True)
    # Time limits (DESIGN.md: deadlines are community settings; overdue is computed).
    response_days = models.PositiveSmallIntegerField(_("受理答复时限(天)"), default=3)
    resolution_days = models.PositiveSmallIntegerField(_("决议办理默认时限(天)"), default=30)
    rating_window_days = models.PositiveSmallIntegerField(_("满意度测评期(天)"), default=15)
    reopen_dissatisfied_share = models.DecimalField(
        _("不满意率达到此比例时自动重新办理"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.300"),
    )
    objection_days = models.PositiveSmallIntegerField(_("表决结果公示期(天)"), default=7)
    # 未参与表决视为同意多数: off by default, only with the adopted clause cited.
    deem_nonvoters_majority = models.BooleanField(_("未参与表决视为同意多数"), default=False)
    deem_nonvoters_clause = models.TextField(_("管理规约相应条款"), blank=True)
    # Written proxies (授权委托书): how many principals one holder may represent in one poll.
    proxy_cap = models.PositiveSmallIntegerField(
        _("每位受托人最多代理户数"), default=3, db_default=3
    )
    # Rules of procedure (南塘议事规则).
    speech_seconds = models.PositiveSmallIntegerField(_("每次发言时长(秒)"), default=120)
    speeches_per_item = models.PositiveSmallIntegerField(_("每人每议题发言次数"), default=2)
    quorum_share = models.DecimalField(
        _("法定出席比例"), max_digits=4, decimal_places=3, default=Decimal("0.500")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["name"]
        permissions = [("import_roster", _("可导入业主名册"))]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="buildings")
    name = models.CharField(_("楼栋"), max_length=40)
    floors = models.PositiveSmallIntegerField(_("层数"), default=6)
    has_lift = models.BooleanField(_("有电梯"), default=False)
    grid = models.ForeignKey(
        "deliberation.Grid",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="buildings",
        verbose_name=_("网格"),
    )
    # A short code painted on the building and written on box slips (e.g. "3" or "B2").
    code = models.CharField(_("楼栋编号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="building_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class AreaSource(models.TextChoices):
    REGISTERED = "registered", _("不动产登记面积")
    SURVEYED = "surveyed", _("测绘面积")
    CONTRACT = "contract", _("合同面积")


class Unit(models.Model):
    """An exclusive part (专有部分) with its floor area in m², exact to 0.01 m²."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="units")
    number = models.CharField(_("房号"), max_length=20)
    floor = models.SmallIntegerField(_("楼层"), default=1)
    area_m2 = models.DecimalField(_("专有部分面积(㎡)"), max_digits=9, decimal_places=2)
    area_source = models.CharField(
        _("面积依据"), max_length=12, choices=AreaSource.choices, default=AreaSource.REGISTERED
    )
    # The developer's unsold or undelivered units count together as one owner (SPC art. 9).
    unsold = models.BooleanField(_("开发商未售出/未交付"), default=False)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["building__name", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="unit_unique_number"),
            models.CheckConstraint(condition=models.Q(area_m2__gt=0), name="unit_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.building.name}-{self.number}"


class Member(models.Model):
    """A person's standing in one community: their party and organisation."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    party = models.CharField(_("所属方"), max_length=12, choices=Party.choices)
    organisation = models.CharField(_("单位"), max_length=100, blank=True)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    is_council_member = models.BooleanField(_("议事会成员"), default=False)
    verified = models.BooleanField(_("已核实身份"), default=False)
    show_full_name = models.BooleanField(_("公开显示全名"), default=False)
    # Blank: the first usable of SMS (a phone), e-mail, a letter (an owner), the inbox.
    preferred_channel = models.CharField(
        _("通知方式"), max_length=8, choices=NotificationChannel.choices, blank=True
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="member_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_party_display()})"


class Ownership(models.Model):
    """Person ↔ unit. Co-owners of one unit are several rows for the same unit."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ownerships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="ownerships")
    since = models.DateField(_("起始日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("产权")
        verbose_name_plural = _("产权")
        constraints = [models.UniqueConstraint(fields=["unit", "member"], name="ownership_unique")]

    def __str__(self) -> str:
        return f"{self.member} → {self.unit}"
