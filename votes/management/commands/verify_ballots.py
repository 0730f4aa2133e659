"""``verify_ballots POLL [--heads FILE]``: verify a poll's ballot chain; name the first misfit.

Checks every link, every MAC of a keyed poll (with ``SIFANG_BALLOT_CHAIN_KEY``), the recorded
head, every head published in the database and, with ``--heads``, every head the verifier saved
(one ``seq head`` or ``head`` per line, ``#`` comments). Exit 1 naming the first ballot or head
that does not fit. See docs/ballot-chain.md.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from votes import audit
from votes.models import ChainScheme, Poll
from votes.selectors import poll_chain_check


class Command(BaseCommand):
    help = (
        "Verify a poll's ballot chain (links, MACs, published heads, and heads saved in "
        "--heads FILE); exit 1 naming the first ballot or head that does not fit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("poll", type=int, help="poll id")
        parser.add_argument(
            "--heads",
            action="append",
            default=[],
            metavar="FILE",
            help="a file of saved heads, one 'seq head' (or 'head') per line; repeatable",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            poll = Poll.objects.get(pk=options["poll"])
        except Poll.DoesNotExist as exc:
            raise CommandError(f"poll {options['poll']} does not exist") from exc
        external: list[audit.PublishedHead] = []
        for name in options["heads"]:
            try:
                text = Path(name).read_text(encoding="utf-8")
                external.extend(audit.parse_heads(text, source=name))
            except (OSError, ValueError) as exc:
                raise CommandError(f"--heads {name}: {exc}") from exc
        check = poll_chain_check(poll, external_heads=external)
        if check.problem is not None:
            raise CommandError(f"poll {poll.pk}: chain broken at {check.problem.describe()}")
        if check.scheme == ChainScheme.HMAC_SHA256:
            scheme = "keyed (HMAC-SHA256, every MAC matches the chain key)"
        else:
            scheme = "unkeyed (opened before keyed chains: a database writer could recompute it)"
        self.stdout.write(
            f"poll {poll.pk}: {check.ballots} ballots, chain intact, {scheme}; "
            f"{check.published_checked} published heads match"
            + (f", {check.external_checked} saved heads match" if external else "")
            + f"; head {check.head}"
        )
