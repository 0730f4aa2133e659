"""``close_due_polls``: close every open poll whose closing time has passed (run on a schedule)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from votes.services import polls_close_due
from votes.tasks import close_due_polls_task


class Command(BaseCommand):
    help = (
        "Close open polls past their closing time and publish their (preliminary) results; "
        "idempotent, safe to run every minute and from two places at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the django-tasks task instead of running it in this process.",
        )

    def handle(self, *args: Any, enqueue: bool = False, verbosity: int = 1, **options: Any) -> None:
        if enqueue:
            result = close_due_polls_task.enqueue()
            if verbosity:
                self.stdout.write(f"queued {result.id}")
            return
        report = polls_close_due()
        for poll in report.closed if verbosity else ():
            verdict = (poll.result or {}).get("verdict")
            self.stdout.write(f"poll {poll.pk}: closed, verdict {verdict}")
        if report.failed:
            ids = ", ".join(str(pk) for pk in report.failed)
            raise CommandError(f"could not close poll(s) {ids}; see the log, retried next run")
