from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketConfig(AppConfig):
    name = "parvis.market"
    verbose_name = _("Marché professionnel")

    def ready(self):
        from . import hooks

        hooks.register()
