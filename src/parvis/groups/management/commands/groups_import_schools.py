from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parvis.groups.establishments import import_directory, import_vendored


class Command(BaseCommand):
    help = (
        "Import the Éducation nationale's directory of schools (fr-en-annuaire-education, CSV, ';'); "
        "without a file, the extract Parvis ships (the lycées)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the CSV file downloaded from data.education.gouv.fr")

    def handle(self, *args, path=None, **options):
        try:
            if path is None:
                kept, skipped = import_vendored()
            else:
                kept, skipped = import_directory(Path(path).read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{kept} establishments imported, {skipped} rows skipped (no valid UAI)")
