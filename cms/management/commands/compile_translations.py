"""Compile every gettext catalogue (project and apps) with Babel, so GNU gettext is not needed."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile .po catalogues to .mo files (like compilemessages, without msgfmt)."

    def handle(self, *args: object, **options: object) -> None:
        roots = [
            Path(settings.BASE_DIR) / app for app in ("cms", "deliberation", "meetings", "votes")
        ]
        roots += [Path(p) for p in settings.LOCALE_PATHS]
        count = 0
        for root in roots:
            for po_path in sorted(root.glob("**/LC_MESSAGES/*.po")):
                with po_path.open("rb") as po_file:
                    catalog = read_po(po_file)
                with po_path.with_suffix(".mo").open("wb") as mo_file:
                    write_mo(mo_file, catalog)
                count += 1
        self.stdout.write(f"Compiled {count} catalogue(s).")
