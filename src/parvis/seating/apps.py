from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SeatingConfig(AppConfig):
    name = "parvis.seating"
    verbose_name = _("Placement numéroté")

    def ready(self):
        from . import lines

        lines.register()
