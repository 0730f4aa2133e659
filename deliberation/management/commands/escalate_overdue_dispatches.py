"""Escalate to the street every dispatch not claimed or not reported back in time (idempotent;
run on a schedule)."""

from django.core.management.base import BaseCommand, CommandParser

from deliberation.dispatch.services import escalate_overdue_dispatches
from deliberation.dispatch.tasks import escalate_overdue_dispatches_task


class Command(BaseCommand):
    help = "Escalate overdue dispatches to the street; a dispatch is escalated once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the django-tasks task instead of running it in this process.",
        )

    def handle(self, *args: object, enqueue: bool = False, **options: object) -> None:
        if enqueue:
            result = escalate_overdue_dispatches_task.enqueue()
            self.stdout.write(f"queued {result.id}")
            return
        self.stdout.write(f"escalated={escalate_overdue_dispatches()}")
