"""parvis settlements --network <slug> --period 2026-11: the venues' shares of a network's passes (CSV)."""

from django.core.management.base import BaseCommand, CommandError

from parvis.network.models import Network
from parvis.passes.settlements import period_bounds, statement_build, statement_csv


class Command(BaseCommand):
    help = (
        "Relevé des reversements d'un réseau pour une période (CSV : une ligne par structure, puis le total)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--network", required=True, help="identifiant du réseau")
        parser.add_argument(
            "--period",
            required=True,
            help="2026-11, 2026-Q4, 2026, 2026-11-03..2026-11-16 ou festival:<identifiant>",
        )

    def handle(self, *args, network: str, period: str, **options):
        found = Network.objects.filter(slug=network).first()
        if found is None:
            raise CommandError(f"Réseau inconnu : {network}")
        try:
            start, end, _label = period_bounds(period, network=found)
        except ValueError:
            raise CommandError(
                f"Période inconnue : {period} "
                "(2026-11, 2026-Q4, 2026, 2026-11-03..2026-11-16, festival:<identifiant>)"
            ) from None
        self.stdout.write(statement_csv(statement_build(network=found, start=start, end=end)), ending="")
