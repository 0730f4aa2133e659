"""``manage.py send_due_reminders``: poll-closing, deadline and overdue reminders, then delivery.

Idempotent: run it every minute (``make demo`` does, beside ``close_due_polls``) or from cron;
each occasion is notified once.
"""

from typing import Any

from django.core.management.base import BaseCommand

from deliberation.notifications.delivery import deliver_pending
from deliberation.notifications.services import notify_deadlines_tomorrow
from deliberation.resolutions.reminders import send_reminders
from votes.notifications import notify_polls_closing


class Command(BaseCommand):
    help = (
        "Remind owners of polls closing within a day, staff of deadlines tomorrow and of "
        "overdue matters, and deliver pending notifications."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        polls = notify_polls_closing()
        deadlines = notify_deadlines_tomorrow()
        # The overdue e-mails (催办) of deliberation.resolutions.reminders, equally idempotent.
        overdue = send_reminders()
        delivered = deliver_pending()
        self.stdout.write(
            f"polls closing: {polls.polls} ({polls.notified} notified); "
            f"deadlines tomorrow: {deadlines.occasions} ({deadlines.notified} notified); "
            f"overdue reminders: {overdue.sent} sent; "
            f"delivered: {delivered.sent} sent, {delivered.retrying} to retry, "
            f"{delivered.failed} failed"
        )
