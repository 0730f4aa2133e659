"""``verify_ballots POLL``: recompute a poll's ballot hash chain; name the first misfit."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from votes.models import Poll
from votes.selectors import poll_chain_problem


class Command(BaseCommand):
    help = "Recompute a poll's ballot hash chain; exit 1 naming the first ballot that does not fit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("poll", type=int, help="poll id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            poll = Poll.objects.get(pk=options["poll"])
        except Poll.DoesNotExist as exc:
            raise CommandError(f"poll {options['poll']} does not exist") from exc
        problem = poll_chain_problem(poll)
        if problem is not None:
            raise CommandError(f"poll {poll.pk}: chain broken at {problem.describe()}")
        self.stdout.write(
            f"poll {poll.pk}: {poll.ballot_seq} ballots, chain intact, head {poll.chain_head}"
        )
