from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "parvis.network"
    verbose_name = _("Réseau et structures")

    def ready(self):
        from . import tasks

        tasks.connect()  # the administrators hear of background work failed for good
