"""Print where the demo runs and how to sign in as each of the four parties."""

from django.core.management.base import BaseCommand, CommandParser

from demo.meetings import LIVE_TITLE
from demo.registry import DEMO_PASSWORD, DEMO_SLUG, STAFF
from meetings.models import Meeting


class Command(BaseCommand):
    help = "Print the demo URLs and logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: object, **options: object) -> None:
        base = f"http://127.0.0.1:{options['port']}"
        lines = [
            "",
            "四方议事厅 Sifang demo",
            f"  Site:      {base}/",
            f"  Proposals: {base}/{DEMO_SLUG}/proposals/",
            f"  Admin:     {base}/admin/",
            f"  API:       {base}/api/docs",
            "",
            f"Staff logins (password: {DEMO_PASSWORD}):",
        ]
        for account in STAFF:
            lines.append(
                f"  {account.party:<11} {account.username:<13} {account.display_name} "
                f"({account.organisation})"
            )
        live = Meeting.objects.filter(community__slug=DEMO_SLUG, title=LIVE_TITLE).first()
        if live is not None:
            meeting = f"{base}/{DEMO_SLUG}/meetings/{live.pk}"
            lines += [
                "",
                "Live meeting, in two browser windows:",
                f"  Facilitator (committee): {meeting}/console/",
                f"  Participant (property):  {meeting}/live/",
                f"  Projector:               {meeting}/projector/",
            ]
        lines += [
            "",
            "Residents sign in with their phone number and a one-time code,",
            "  printed in this console (e.g. phone 13900000001).",
            "",
        ]
        self.stdout.write("\n".join(lines))
