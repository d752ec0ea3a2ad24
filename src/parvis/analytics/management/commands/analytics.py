"""`parvis analytics rebuild`: compute every rollup again from the sales and the door;
`parvis analytics settle`: bring them up to the last committed change (what the worker does);
`parvis analytics digest`: send the weekly digests due (run it weekly, from cron);
`parvis analytics purge`: delete the changes of the feed every follower has read, older than
`PARVIS_FEED_KEEP_DAYS` (run it daily, from cron);
`parvis analytics warm`: compute the networks' kept boards (audiences, circulation) for their default
period in each language, so that even the day's first reader gets them at once (run it nightly)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from parvis.analytics import digest, kept, menus, rollups
from parvis.analytics.tasks import board_store
from parvis.core import changes
from parvis.network.models import Network


class Command(BaseCommand):
    help = (
        "Les tableaux de bord : rebuild (tout recalculer), settle (rattraper les dernières ventes), "
        "digest (résumés de la semaine), purge (fil des changements déjà lus), warm (tableaux gardés des "
        "réseaux, calculés d'avance)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "settle", "digest", "purge", "warm"])

    def handle(self, *args, action: str, verbosity: int, **options):
        started = time.monotonic()
        if action == "purge":
            n = changes.purge(keep_days=settings.PARVIS_FEED_KEEP_DAYS)
            if verbosity:
                self.stdout.write(f"{n} changement(s) purgé(s).")
            return
        if action == "warm":
            n = 0
            for network_id in (
                Network.objects.filter(memberships__isnull=False).distinct().values_list("pk", flat=True)
            ):
                for name in sorted(menus.KEPT):
                    for language, _label in settings.LANGUAGES:
                        board_store(
                            name=name, owner_kind="network", owner_id=network_id, query="", language=language
                        )
                        n += 1
            kept.forget()
            if verbosity:
                self.stdout.write(
                    f"{n} tableau(x) calculé(s) d'avance en {time.monotonic() - started:.1f} s."
                )
            return
        if action == "digest":
            n = digest.send_due()
            if verbosity:
                self.stdout.write(f"{n} résumé(s) envoyé(s).")
            return
        if action == "settle":
            n = rollups.settle()
            if verbosity:
                self.stdout.write(f"{n} changement(s) pris en compte en {time.monotonic() - started:.1f} s.")
            return

        def progress(done: int, total: int) -> None:
            if verbosity > 1:
                self.stdout.write(f"{done}/{total}")

        n = rollups.rebuild(progress=progress)
        if verbosity:
            self.stdout.write(f"{n} date(s) recalculée(s) en {time.monotonic() - started:.1f} s.")
