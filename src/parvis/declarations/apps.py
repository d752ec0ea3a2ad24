from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeclarationsConfig(AppConfig):
    name = "parvis.declarations"
    verbose_name = _("Déclarations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import vat_rates

        vat_rates.register()
