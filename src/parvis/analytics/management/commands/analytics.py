"""`parvis analytics rebuild`: compute every rollup again from the sales and the door;
`parvis analytics settle`: bring them up to the last committed change (what the worker does);
`parvis analytics digest`: send the weekly digests due (run it weekly, from cron);
`parvis analytics purge`: delete the changes of the feed every follower has read, older than
`PARVIS_FEED_KEEP_DAYS` (run it daily, from cron)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from parvis.analytics import digest, rollups
from parvis.core import changes


class Command(BaseCommand):
    help = (
        "Les tableaux de bord : rebuild (tout recalculer), settle (rattraper les dernières ventes), "
        "digest (résumés de la semaine), purge (fil des changements déjà lus)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "settle", "digest", "purge"])

    def handle(self, *args, action: str, verbosity: int, **options):
        started = time.monotonic()
        if action == "purge":
            n = changes.purge(keep_days=settings.PARVIS_FEED_KEEP_DAYS)
            if verbosity:
                self.stdout.write(f"{n} changement(s) purgé(s).")
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
