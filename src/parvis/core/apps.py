from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "parvis.core"
    verbose_name = _("Noyau")

    def ready(self):
        from .lookups import register

        register()
