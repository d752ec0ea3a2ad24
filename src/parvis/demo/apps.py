from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo network: the top floor of the house, it uses every app below it (docs/adr/0005)."""

    name = "parvis.demo"
    verbose_name = _("Démonstration")
