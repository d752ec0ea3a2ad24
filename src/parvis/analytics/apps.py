from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "parvis.analytics"
    verbose_name = _("Tableaux de bord")

    def ready(self):
        from .tasks import follow_changes

        follow_changes()
