from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "parvis.crm"
    verbose_name = _("Relation aux publics")

    def ready(self):
        from . import network_profiles, tasks  # noqa: F401 - tasks: how they are tried again (core.jobs.policy)

        network_profiles.connect()
