from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    name = "parvis.opendata"
    verbose_name = _("Données ouvertes au client (webhooks, synchronisation, export)")

    def ready(self):
        from .tasks import follow_changes

        follow_changes()
