"""`parvis export --organizer <slug> --format parquet|csv --out <folder>`: the organizer's data for a BI
tool, one file per table (see parvis.opendata.export)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parvis.analytics import rollups
from parvis.network.models import Organizer
from parvis.opendata.export import export


class Command(BaseCommand):
    help = "Exporte les données d'une structure (Parquet ou CSV), une table par fichier."

    def add_arguments(self, parser):
        parser.add_argument("--organizer", required=True)
        parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
        parser.add_argument("--out", default="export")

    def handle(self, *args, organizer, format, out, verbosity, **options):  # noqa: A002 (the option's name)
        found = Organizer.objects.filter(slug=organizer).first()
        if found is None:
            raise CommandError("Structure inconnue : --organizer <identifiant>.")
        rollups.settle()  # the daily sales table includes the last sale
        written = export(found.pk, Path(out), format)
        if verbosity:
            for table, count in written.items():
                self.stdout.write(f"{table}.{format} : {count} ligne(s)")
