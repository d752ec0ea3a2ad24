"""`parvis groups_no_shows`, each night (cron): classes still confirmed two days after their date, with no
arrival recorded, are noted absent (their places given back, the leader told, nothing invoiced)."""

import datetime

from django.core.management.base import BaseCommand

from parvis.groups.services import no_shows_close


class Command(BaseCommand):
    help = "Note absent the confirmed group bookings that nobody counted, some days after their date."

    def add_arguments(self, parser):
        parser.add_argument("--after-days", type=int, default=2, help="days after the date (default 2)")

    def handle(self, *args, after_days: int, **options):
        closed = no_shows_close(after=datetime.timedelta(days=max(0, after_days)))
        self.stdout.write(f"{closed} group booking(s) noted absent")
