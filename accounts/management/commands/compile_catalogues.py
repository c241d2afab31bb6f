from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every .po catalogue of the project into .mo files (no system gettext needed)."

    def handle(self, *args, **options):
        compiled = 0
        base = Path(settings.BASE_DIR)
        # The project's own catalogue (templates/, common/) and each app's.
        catalogues = [*base.glob("locale/*/LC_MESSAGES/django.po"), *base.glob("*/locale/*/LC_MESSAGES/django.po")]
        for po_path in catalogues:
            if ".venv" in po_path.parts or "node_modules" in po_path.parts:
                continue
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            compiled += 1
        if options["verbosity"] > 1 or compiled:
            self.stdout.write(f"Compiled {compiled} catalogue(s).")
