from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassesConfig(AppConfig):
    name = "parvis.passes"
    verbose_name = _("Pass")
