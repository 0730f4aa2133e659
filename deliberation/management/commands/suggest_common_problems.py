"""Compare the matters that came in since the last run with the open ones (共性问题)."""

from typing import Any

from django.core.management.base import BaseCommand

from deliberation.problems.services import problems_suggest


class Command(BaseCommand):
    help = "Suggest groups of matters that look like one common problem."

    def handle(self, *args: Any, **options: Any) -> None:
        report = problems_suggest()
        self.stdout.write(
            f"compared {report.compared} new matters: "
            f"{report.created} new groups, {report.joined} joined existing ones"
        )
