"""``import_roster FILE --community SLUG``: load an owners' roster (CSV or XLSX)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deliberation.models import Community
from deliberation.registry.roster import RosterInvalid
from deliberation.registry.services import roster_import


class Command(BaseCommand):
    help = (
        "Import an owners' roster (CSV UTF-8 or XLSX; columns building, unit, area_m2, "
        "owner_name, phone, optional area_source, unsold, floor). Writes nothing if any row "
        "has a problem; every problem is printed with its line number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--community", required=True, help="the community's slug")

    def handle(self, *args: object, **options: object) -> None:
        path = options["file"]
        assert isinstance(path, Path)
        try:
            community = Community.objects.get(slug=options["community"])
        except Community.DoesNotExist as error:
            raise CommandError(f"No community with slug {options['community']!r}.") from error
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        try:
            report = roster_import(community=community, data=data, filename=path.name)
        except RosterInvalid as invalid:
            for problem in invalid.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(invalid.problems)} problem(s) in {path.name}; nothing was imported."
            ) from invalid
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {report.rows} rows into {community.slug}: "
                + ", ".join(f"{k}={v}" for k, v in report.as_dict().items() if k != "rows")
            )
        )
