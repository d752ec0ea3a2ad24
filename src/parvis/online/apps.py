from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnlineConfig(AppConfig):
    name = "parvis.online"
    verbose_name = _("Accès en ligne")

    def ready(self):
        from . import hooks

        hooks.register()
