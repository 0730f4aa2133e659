"""``publish_chain_heads``: publish the ballot chain head of open polls (docs/ballot-chain.md)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from votes.services import polls_publish_chain_heads


class Command(BaseCommand):
    help = (
        "Publish the ballot chain head (count, head, time) of every open poll whose head moved; "
        "close_due_polls does this too, at most every SIFANG_BALLOT_CHAIN_PUBLISH_MINUTES."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--poll", type=int, action="append", help="only this poll (repeatable)")
        parser.add_argument(
            "--due-only",
            action="store_true",
            help="respect SIFANG_BALLOT_CHAIN_PUBLISH_MINUTES (default: publish now if moved)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        published = polls_publish_chain_heads(
            force=not options["due_only"], poll_ids=options["poll"]
        )
        for item in published:
            self.stdout.write(
                f"poll {item.poll_id}: {item.seq} {item.head} "
                f"published {item.published_at.isoformat()}"
            )
        if not published and options["verbosity"]:
            self.stdout.write("nothing to publish")
