"""``close_due_polls``: close every open poll whose closing time has passed (run from cron)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from votes.exceptions import PollStateError
from votes.models import Poll, PollStatus
from votes.services import poll_close


class Command(BaseCommand):
    help = "Close open polls past their closing time and publish their (preliminary) results."

    def handle(self, *args: object, **options: object) -> None:
        due = Poll.objects.filter(status=PollStatus.OPEN, closes_at__lte=timezone.now())
        for poll in due.order_by("pk"):
            try:
                closed = poll_close(poll=poll, actor=None)
            except PollStateError:
                continue  # closed meanwhile by someone else
            self.stdout.write(f"poll {closed.pk}: closed, verdict {closed.result['verdict']}")
