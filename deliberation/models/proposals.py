from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    Task,
    TaskState,
    WorkflowMixin,
)

from deliberation import scope
from deliberation.models.communities import Building, Community, Member, Party
from deliberation.models.uploads import option_image_path, proposal_photo_path

# Wagtail's publish permission on proposals: the triage staff (居委会) of a community hold it.
TRIAGE_PERMISSION = "deliberation.publish_proposal"


class Channel(models.TextChoices):
    ONLINE = "online", _("网上提交")
    HOTLINE = "hotline", _("热线电话")
    BOX = "box", _("意见箱")
    VISIT = "visit", _("上门走访")
    PHOTO = "photo", _("随手拍")
    MEETING = "meeting", _("会议提出")


class Category(models.TextChoices):
    PARKING = "parking", _("停车")
    CHARGING = "charging", _("充电设施")
    GREENING = "greening", _("绿化环境")
    FACILITIES = "facilities", _("公共设施")
    SAFETY = "safety", _("安全")
    SANITATION = "sanitation", _("环境卫生")
    RENOVATION = "renovation", _("改造维修")
    OTHER = "other", _("其他")


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    ANSWERED = "answered", _("已当场答复")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")
    SCHEDULED = "scheduled", _("已列入议程")
    DECIDED = "decided", _("已形成决议")
    NOT_ADOPTED = "not_adopted", _("未通过")


class Proposal(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    """A matter (议题) raised by any party through any channel.

    Publication uses Wagtail's draft/revision/workflow: ``live`` means approved and public.
    Status changes only through ``deliberation.proposals.transitions``.
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="proposals")
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"))
    category = models.CharField(
        _("类别"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    location = models.CharField(_("地点"), max_length=120, blank=True)
    # Where the matter is: its building when known, and the grid (from the building, or set by
    # staff when only the location text says where).
    building = models.ForeignKey(
        "deliberation.Building",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("楼栋"),
    )
    grid = models.ForeignKey(
        "deliberation.Grid",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("网格"),
    )
    channel = models.CharField(
        _("渠道"), max_length=12, choices=Channel.choices, default=Channel.ONLINE
    )
    # 案件编号 ``<community slug>-<yyyymm>-<seq>``, given at intake (deliberation.grids.cases).
    case_number = models.CharField(_("案件编号"), max_length=80, null=True, blank=True, unique=True)
    party = models.CharField(_("提出方"), max_length=12, choices=Party.choices)
    # The person the matter comes from; ``entered_by`` is staff who typed it in on their behalf.
    author = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("提出人")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("代录人员"),
    )
    show_full_name = models.BooleanField(_("公开显示全名"), default=False)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ProposalStatus.choices,
        default=ProposalStatus.SUBMITTED,
    )
    responsible_party = models.CharField(
        _("责任方"), max_length=12, choices=Party.choices, blank=True
    )
    answer = models.TextField(_("答复"), blank=True)
    reject_reason = models.TextField(_("不予受理理由"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("合并至"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    responded_at = models.DateTimeField(_("首次答复时间"), null=True, blank=True)

    # What a revision carries: the text the author wrote, which moderators approve. Everything
    # else (status, triage fields, who and where) lives on the row only, so publishing an older
    # revision never rolls a triage decision back.
    REVISION_FIELDS = ("title", "body", "location", "show_full_name")

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["community", "status", "-submitted_at"]),
            models.Index(fields=["community", "live", "-submitted_at"], name="proposal_public"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="merged") | models.Q(merged_into__isnull=False),
                name="proposal_merged_has_target",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="answered") | ~models.Q(answer=""),
                name="proposal_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(reject_reason=""),
                name="proposal_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")),
                name="proposal_not_merged_into_itself",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def with_content_json(self, content: dict[str, Any]) -> "Proposal":
        """A revision's text applied onto this row; the row keeps all non-revision fields."""
        obj = super().with_content_json(content)
        for field in self._meta.concrete_fields:
            if field.attname not in self.REVISION_FIELDS and field.name not in self.REVISION_FIELDS:
                setattr(obj, field.attname, getattr(self, field.attname))
        return obj


class ProposalPhoto(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to=proposal_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]


class SharingRule(models.TextChoices):
    EQUAL = "equal", _("按户均摊")
    AREA = "area", _("按面积分摊")
    FLOOR = "floor", _("按楼层分摊")
    PARTY = "party", _("由一方承担")


class ProposalOption(models.Model):
    """An alternative plan (方案) of a proposal, e.g. one of three parking plans."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    title = models.CharField(_("方案名称"), max_length=120)
    description = models.TextField(_("方案说明"), blank=True)
    cost_estimate = models.DecimalField(
        _("估算费用(元)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    sharing_rule = models.CharField(
        _("费用分摊方式"), max_length=8, choices=SharingRule.choices, blank=True
    )
    paying_party = models.CharField(_("承担方"), max_length=12, choices=Party.choices, blank=True)
    # The units that share the cost: one building (a lift), or the whole community when blank.
    scope_building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("分摊范围(楼栋)"),
    )
    pros = models.TextField(_("优点"), blank=True)
    cons = models.TextField(_("缺点"), blank=True)
    image = models.ImageField(_("示意图"), upload_to=option_image_path, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("方案")
        verbose_name_plural = _("方案")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.title


class ProposalTransition(models.Model):
    """One step of a proposal's public timeline: who, when, from, to, and a note."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=ProposalStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ProposalStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["proposal", "at"])]


class Second(models.Model):
    """A resident seconding (附议) a proposal, once each."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="seconds")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "member"], name="second_once")]


class ProposalModerationTask(Task):
    """Wagtail workflow task: approved by the triage staff of the proposal's *own* community.

    A plain group-approval task would let community staff of one community approve another's
    matters; this one asks the scope for committee staff holding :data:`TRIAGE_PERMISSION` in
    the object's community (the rule ``proposals.rules.can_triage_proposals`` states).
    """

    def _can_moderate(self, obj: object, user: Any) -> bool:
        return isinstance(obj, Proposal) and scope.is_committee_member(
            user, obj.community, permission=TRIAGE_PERMISSION
        )

    def user_can_access_editor(self, obj: object, user: Any) -> bool:
        return self._can_moderate(obj, user)

    def locked_for_user(self, obj: object, user: Any) -> bool:
        return not self._can_moderate(obj, user)

    def user_can_lock(self, obj: object, user: Any) -> bool:
        return self._can_moderate(obj, user)

    def user_can_unlock(self, obj: object, user: Any) -> bool:
        return self._can_moderate(obj, user)

    def get_actions(self, obj: object, user: Any) -> list[tuple[str, str | Promise, bool]]:
        if not self._can_moderate(obj, user):
            return []
        return [
            ("reject", _("退回修改"), True),
            ("approve", _("通过并公开"), False),
            ("approve", _("通过并公开(附意见)"), True),
        ]

    def get_task_states_user_can_moderate(self, user: Any, **kwargs: Any) -> QuerySet[TaskState]:
        states = TaskState.objects.filter(status=TaskState.STATUS_IN_PROGRESS, task=self.task_ptr)
        if user.is_superuser:
            return states
        communities = scope.committee_communities(user, permission=TRIAGE_PERMISSION)
        ids = Proposal.objects.filter(community__in=communities).values_list("pk", flat=True)
        return states.filter(workflow_state__object_id__in=[str(pk) for pk in ids])

    @classmethod
    def get_description(cls) -> str:
        return str(_("由议题所在社区的工作人员审核"))

    class Meta:
        verbose_name = _("议题审核任务")
        verbose_name_plural = _("议题审核任务")
