"""Send overdue-resolution and unanswered-proposal reminders (idempotent; run on a schedule)."""

from django.core.management.base import BaseCommand, CommandParser

from deliberation.resolutions.reminders import send_reminders
from deliberation.resolutions.tasks import send_reminders_task


class Command(BaseCommand):
    help = "Send deadline reminders to responsible staff; never sends the same reminder twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the django-tasks task instead of running it in this process.",
        )

    def handle(self, *args: object, enqueue: bool = False, **options: object) -> None:
        if enqueue:
            result = send_reminders_task.enqueue()
            self.stdout.write(f"queued {result.id}")
            return
        report = send_reminders()
        self.stdout.write(
            f"sent={report.sent} skipped={report.skipped} no_recipient={report.no_recipient} "
            f"overdue_resolutions={len(report.flagged_resolutions)} "
            f"unanswered_proposals={len(report.flagged_proposals)}"
        )
