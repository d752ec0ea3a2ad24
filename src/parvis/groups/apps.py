from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "parvis.groups"
    verbose_name = _("Groupes et scolaires")

    def ready(self):
        from . import hooks

        hooks.register()
