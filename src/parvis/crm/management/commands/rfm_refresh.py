from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from parvis.crm.rfm import rfm_refresh
from parvis.network.models import Organizer


class Command(BaseCommand):
    help = _("Recalcule les scores RFM des contacts de chaque structure (à lancer chaque nuit).")

    def handle(self, *args, **options):
        for organizer in Organizer.objects.order_by("pk"):
            scored = rfm_refresh(organizer)
            self.stdout.write(f"{organizer.slug}: {scored}")
