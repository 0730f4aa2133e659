"""Delivery of pending notifications over SMS (the pluggable sender) and e-mail (Django mail).

Each pending row is taken under a row lock and re-checked, so two workers, or a task that runs
twice, never send one notification twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.accounts.senders import CodeSendFailed, get_message_sender
from deliberation.models import Notification, NotificationChannel, NotificationStatus

logger = logging.getLogger(__name__)

# Channels the worker delivers; inbox rows are delivered on creation, letters when printed.
DELIVERED_BY_WORKER = (NotificationChannel.SMS, NotificationChannel.EMAIL)
MAX_ATTEMPTS = 5
SMS_MAX_CHARS = 300


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if path else ""


def sms_text(notification: Notification) -> str:
    text = _("【四方议事厅】%(title)s") % {"title": notification.title}
    if notification.body:
        text += " " + notification.body
    link = _site_url(notification.url)
    room = SMS_MAX_CHARS - len(link) - 1
    if len(text) > room:
        text = text[: room - 1] + "…"
    return f"{text} {link}".strip()


def _send(notification: Notification) -> None:
    """Hand one notification to its channel; raises ``CodeSendFailed`` when it could not."""
    user = notification.recipient
    if notification.channel == NotificationChannel.SMS:
        if not user.phone:
            raise CodeSendFailed("no phone number")
        get_message_sender().send_message(phone=user.phone, text=sms_text(notification))
    else:
        if not user.email:
            raise CodeSendFailed("no e-mail address")
        link = _site_url(notification.url)
        body = "\n\n".join(part for part in (notification.body, link, _("四方议事厅")) if part)
        try:
            send_mail(notification.title, body, None, [user.email])
        except OSError as error:
            raise CodeSendFailed(str(error)) from error


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0


def deliver_pending(*, limit: int = 500) -> DeliveryReport:
    """Send pending SMS and e-mail notifications, each at most once.

    Each row is taken under a row lock (skipping rows another worker holds) and re-checked as
    still pending, so two workers, or a task that runs twice, never send one notification twice.
    A failed send counts an attempt; after ``MAX_ATTEMPTS`` the row is ``failed``.
    """
    report = DeliveryReport()
    pending = list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, channel__in=DELIVERED_BY_WORKER
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in pending:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(pk=pk, status=NotificationStatus.PENDING)
                .first()
            )
            if notification is None:
                continue
            try:
                _send(notification)
            except CodeSendFailed as error:
                notification.attempts += 1
                notification.last_error = str(error)[:300]
                if notification.attempts >= MAX_ATTEMPTS:
                    notification.status = NotificationStatus.FAILED
                    report.failed += 1
                else:
                    report.retrying += 1
                notification.save(update_fields=["attempts", "last_error", "status"])
                continue
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.attempts += 1
            notification.save(update_fields=["status", "sent_at", "attempts"])
            report.sent += 1
    if report.sent or report.failed or report.retrying:
        logger.info(
            "notifications: sent=%s failed=%s retrying=%s",
            report.sent,
            report.failed,
            report.retrying,
        )
    return report
