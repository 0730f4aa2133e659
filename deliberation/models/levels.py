"""The levels above and below a community: district → street → community → grid → building.

A street (街道, the sub-district office with its command centre) holds communities; a community is
divided into grids (网格), each a set of buildings. People hold standing at these levels through
``StreetStaff`` (the street's command-centre staff) and ``GridRole`` (grid leader, grid workers,
building and unit heads, volunteers). ``deliberation.scope`` reads them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    """区: the top level; holds streets."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.SlugField(_("代码"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    """街道: a sub-district office over several communities."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets")
    name = models.CharField(_("名称"), max_length=100)
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    hotline = models.CharField(_("指挥中心电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["district", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="street_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class StreetStaff(models.Model):
    """A person working for a street's command centre (社会治理指挥中心)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="street_posts"
    )
    title = models.CharField(_("职务"), max_length=60, blank=True)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("街道工作人员")
        verbose_name_plural = _("街道工作人员")
        constraints = [
            models.UniqueConstraint(fields=["street", "user"], name="street_staff_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.street}"


class Grid(models.Model):
    """网格: part of a community, a set of buildings walked by its grid workers."""

    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.CASCADE, related_name="grids"
    )
    name = models.CharField(_("名称"), max_length=60)
    code = models.CharField(_("编号"), max_length=20)
    # The place the grid's suggestion box (倾诉箱) hangs, printed on its receipt slips.
    box_location = models.CharField(_("倾诉箱位置"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["community", "code"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="grid_unique_code")
        ]

    def __str__(self) -> str:
        return self.name


class GridRoleKind(models.TextChoices):
    LEADER = "leader", _("网格长")
    WORKER = "worker", _("网格员")
    BUILDING_HEAD = "building_head", _("楼长")
    UNIT_HEAD = "unit_head", _("单元长")
    VOLUNTEER = "volunteer", _("志愿者")


class GridRole(models.Model):
    """A person's post in a grid; building and unit heads name the buildings they look after."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_posts"
    )
    kind = models.CharField(_("职责"), max_length=16, choices=GridRoleKind.choices)
    buildings = models.ManyToManyField(
        "deliberation.Building", blank=True, related_name="heads", verbose_name=_("负责楼栋")
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("网格职务")
        verbose_name_plural = _("网格职务")
        constraints = [
            models.UniqueConstraint(fields=["grid", "user", "kind"], name="grid_role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_kind_display()}) @ {self.grid}"
