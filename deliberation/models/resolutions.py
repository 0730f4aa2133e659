from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .communities import Community, Party
from .proposals import Proposal, ProposalOption


class ResolutionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("办理中")
    COMPLETED = "completed", _("已办结")
    REOPENED = "reopened", _("重新办理")


class Resolution(models.Model):
    """A decision (决议) and its supervision to completion."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="resolutions")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="resolutions")
    adopted_option = models.ForeignKey(
        ProposalOption, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision = models.TextField(_("决议内容"))
    responsible_party = models.CharField(_("责任方"), max_length=12, choices=Party.choices)
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任人"),
    )
    deadline = models.DateField(_("办结期限"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ResolutionStatus.choices,
        default=ResolutionStatus.IN_PROGRESS,
    )
    decided_at = models.DateTimeField(_("决议时间"))
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["community", "status", "deadline"])]

    def __str__(self) -> str:
        return self.proposal.title
