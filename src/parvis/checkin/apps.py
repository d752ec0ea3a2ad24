from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "parvis.checkin"
    verbose_name = _("Contrôle d'accès")

    def ready(self):
        from . import defaults, rules

        rules.forget_on_change()
        defaults.connect()
