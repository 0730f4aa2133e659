"""Deadline reminders (催办): overdue resolutions and unanswered proposals.

Each reminder is a (kind, key, recipient) triple. The key names the occasion, so a resolution is
reminded once per round and deadline (a new deadline after reopening is a new occasion) and an
unanswered proposal once. ``ReminderLog`` has a unique constraint on the triple; the log row is
written in the same transaction as the email is handed to the backend, so a reminder is never
sent twice, even by two runs at once, and a failed send leaves no row (it is retried next run).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.models import (
    STAFF_PARTIES,
    Member,
    Party,
    Proposal,
    ReminderKind,
    ReminderLog,
    Resolution,
)
from deliberation.proposals.selectors import proposals_unanswered_overdue
from deliberation.resolutions.selectors import resolutions_overdue

logger = logging.getLogger(__name__)


@dataclass
class ReminderReport:
    sent: int = 0
    skipped: int = 0  # already sent before
    no_recipient: int = 0  # nobody with an e-mail address to remind
    flagged_resolutions: list[int] = field(default_factory=list)
    flagged_proposals: list[int] = field(default_factory=list)


def resolution_key(resolution: Resolution) -> str:
    return f"resolution:{resolution.pk}:round:{resolution.round}:deadline:{resolution.deadline}"


def proposal_key(proposal: Proposal) -> str:
    return f"proposal:{proposal.pk}:unanswered"


def _emails_of_party(community_id: int, party: str) -> list[str]:
    rows = Member.objects.filter(community_id=community_id, party=party).exclude(user__email="")
    return sorted(set(rows.values_list("user__email", flat=True)))


def resolution_recipients(resolution: Resolution) -> list[str]:
    """The responsible person, or else every staff member of the responsible party."""
    person = resolution.responsible_person
    if person is not None and person.email:
        return [person.email]
    if resolution.responsible_party not in STAFF_PARTIES:
        return _emails_of_party(resolution.community_id, Party.COMMITTEE)
    return _emails_of_party(resolution.community_id, resolution.responsible_party)


def proposal_recipients(proposal: Proposal) -> list[str]:
    """The community staff (居委会) who triage."""
    return _emails_of_party(proposal.community_id, Party.COMMITTEE)


def _site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def _send_once(
    *,
    kind: str,
    key: str,
    recipient: str,
    subject: str,
    body: str,
    resolution: Resolution | None = None,
    proposal: Proposal | None = None,
) -> bool:
    """Record and send one reminder; ``False`` when it was sent before."""
    try:
        with transaction.atomic():
            ReminderLog.objects.create(
                kind=kind, key=key, recipient=recipient, resolution=resolution, proposal=proposal
            )
            send_mail(subject, body, None, [recipient])
    except IntegrityError:
        return False
    return True


def send_reminders(*, now: dt.datetime | None = None) -> ReminderReport:
    """Send every reminder that is due and has not been sent yet. Safe to run any number of
    times; returns what it did."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = ReminderReport()
    for resolution in resolutions_overdue(today=today):
        report.flagged_resolutions.append(resolution.pk)
        recipients = resolution_recipients(resolution)
        if not recipients:
            report.no_recipient += 1
            continue
        days = (today - resolution.deadline).days
        subject = _("【催办】决议已逾期 %(days)s 天:%(title)s") % {
            "days": days,
            "title": resolution.proposal.title,
        }
        body = _(
            "您好:\n\n以下决议已超过办结期限 %(days)s 天,请尽快办理并在系统中填报进展。\n\n"
            "议题:%(title)s\n决议:%(decision)s\n办结期限:%(deadline)s\n查看:%(url)s\n\n"
            "四方议事厅"
        ) % {
            "days": days,
            "title": resolution.proposal.title,
            "decision": resolution.decision,
            "deadline": resolution.deadline.isoformat(),
            "url": _site_url(
                reverse("resolution-detail", args=[resolution.community.slug, resolution.pk])
            ),
        }
        for recipient in recipients:
            if _send_once(
                kind=ReminderKind.OVERDUE_RESOLUTION,
                key=resolution_key(resolution),
                recipient=recipient,
                subject=subject,
                body=body,
                resolution=resolution,
            ):
                report.sent += 1
            else:
                report.skipped += 1
    for proposal in proposals_unanswered_overdue(now=now):
        report.flagged_proposals.append(proposal.pk)
        recipients = proposal_recipients(proposal)
        if not recipients:
            report.no_recipient += 1
            continue
        subject = _("【催办】议题超过 %(days)s 天未答复:%(title)s") % {
            "days": proposal.community.response_days,
            "title": proposal.title,
        }
        body = _(
            "您好:\n\n以下议题已超过受理答复时限(%(days)s 天)仍未答复,请尽快分理。\n\n"
            "议题:%(title)s\n提交时间:%(submitted)s\n\n四方议事厅"
        ) % {
            "days": proposal.community.response_days,
            "title": proposal.title,
            "submitted": timezone.localtime(proposal.submitted_at).strftime("%Y-%m-%d %H:%M"),
        }
        for recipient in recipients:
            if _send_once(
                kind=ReminderKind.UNANSWERED_PROPOSAL,
                key=proposal_key(proposal),
                recipient=recipient,
                subject=subject,
                body=body,
                proposal=proposal,
            ):
                report.sent += 1
            else:
                report.skipped += 1
    logger.info(
        "reminders: sent=%s skipped=%s no_recipient=%s",
        report.sent,
        report.skipped,
        report.no_recipient,
    )
    return report
