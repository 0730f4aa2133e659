"""Campaign models. Imported from ``votes.models`` so that Django registers them in ``votes``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberation.models import Building, Unit
from deliberation.models.uploads import unguessable_name


def evidence_path(instance: object, filename: str) -> str:
    return unguessable_name(EVIDENCE_FOLDER, filename)


EVIDENCE_FOLDER = "campaign-evidence"


class CampaignUnit(models.Model):
    """One unit of an owners' poll's frozen electorate, as a row (for SQL aggregation).

    Written once from ``Poll.frozen_electorate`` (``campaign_units_ensure``); ``code`` is the
    unguessable code printed (as a QR code) on the unit's paper ballot.
    """

    poll = models.ForeignKey("votes.Poll", on_delete=models.CASCADE, related_name="campaign_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+")
    voter_key = models.CharField(max_length=40)
    area = models.DecimalField(max_digits=12, decimal_places=2)
    code = models.CharField(_("选票编码"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("表决房屋")
        verbose_name_plural = _("表决房屋")
        ordering = ["poll", "building_id", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "unit"], name="campaign_unit_once"),
        ]
        indexes = [models.Index(fields=["poll", "voter_key"], name="campaign_unit_voter")]


class CanvassAssignment(models.Model):
    """A canvasser (楼栋长, volunteer) assigned to a building for one poll."""

    poll = models.ForeignKey("votes.Poll", on_delete=models.CASCADE, related_name="canvassers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("扫楼人员")
        verbose_name_plural = _("扫楼人员")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "user", "building"], name="canvass_assignment_once"
            )
        ]


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    CONFIRMED = "confirmed", _("已复核计入")
    REJECTED = "rejected", _("已退回")


class BallotEntry(models.Model):
    """A ballot entered by staff or a canvasser, waiting for a second person (four eyes).

    Only ``ballot_entry_confirm`` casts it (through ``ballot_cast``); until then it counts
    nowhere. At most one pending entry per voter and poll (a constraint). Secret polls: the
    choice is cleared once the entry is decided, so nothing kept links voter and choice.
    """

    poll = models.ForeignKey("votes.Poll", on_delete=models.PROTECT, related_name="entries")
    voter_key = models.CharField(max_length=40)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, related_name="+")
    channel = models.CharField(_("方式"), max_length=10)
    choice = models.JSONField(default=dict, blank=True)
    evidence = models.FileField(_("签字选票照片/扫描件"), upload_to=evidence_path, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    signer_name = models.CharField(_("签字人"), max_length=60, blank=True)
    # Normalised ID number, keyed hash only (the alert groups by it); the last 4 for display.
    signer_id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    signer_id_tail = models.CharField(max_length=4, blank=True)
    proxy_name = models.CharField(_("受托人"), max_length=60, blank=True)
    proxy_note = models.TextField(_("授权说明"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=EntryStatus.choices, default=EntryStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(_("退回原因"), blank=True)
    receipt = models.CharField(max_length=24, blank=True)
    ballot_seq = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("录入选票")
        verbose_name_plural = _("录入选票")
        ordering = ["poll", "-entered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "voter_key"],
                condition=models.Q(status="pending"),
                name="entry_one_pending_per_voter",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="confirmed")
                | ~models.Q(decided_by=models.F("entered_by")),
                name="entry_four_eyes",
            ),
        ]
        indexes = [models.Index(fields=["poll", "status"], name="entry_poll_status")]


class CallOutcome(models.TextChoices):
    VOTED = "voted", _("已电话表决")
    NO_ANSWER = "no_answer", _("无人接听")
    DECLINED = "declined", _("不愿电话表决")
    CALL_BACK = "call_back", _("约定再联系")


class PhoneCall(models.Model):
    """A call to an owner from the not-yet-voted list, with or without a ballot."""

    poll = models.ForeignKey("votes.Poll", on_delete=models.CASCADE, related_name="phone_calls")
    voter_key = models.CharField(max_length=40)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, related_name="+")
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    called_at = models.DateTimeField(_("通话时间"))
    number = models.CharField(_("拨打号码"), max_length=30)
    duration_minutes = models.PositiveSmallIntegerField(_("通话时长(分钟)"), default=0)
    notes = models.TextField(_("通话记录"), blank=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=CallOutcome.choices)
    read_back = models.BooleanField(_("已向业主复述所选选项并得到确认"), default=False)
    entry = models.OneToOneField(
        BallotEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="call"
    )

    class Meta:
        verbose_name = _("电话表决记录")
        verbose_name_plural = _("电话表决记录")
        ordering = ["poll", "-called_at", "-pk"]


class CampaignRules(models.Model):
    """A poll's campaign rules beyond the ballot's own (set by committee staff)."""

    poll = models.OneToOneField(
        "votes.Poll", on_delete=models.CASCADE, related_name="campaign_rules"
    )
    phone_needs_confirmation = models.BooleanField(_("电话表决须第二名工作人员复核"), default=True)
