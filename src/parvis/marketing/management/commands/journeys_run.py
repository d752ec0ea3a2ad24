"""One pass over the journeys in motion: entries from the timeline, steps due, messages sent. To run every
minute (cron); a late or missed run changes nothing but the time things leave."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from parvis.marketing import journeys


class Command(BaseCommand):
    help = _("Fait avancer les parcours (à lancer chaque minute).")

    def handle(self, *args, **options):
        totals = journeys.run()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in totals.items()))
