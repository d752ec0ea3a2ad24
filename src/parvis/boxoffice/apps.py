from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoxofficeConfig(AppConfig):
    name = "parvis.boxoffice"
    verbose_name = _("Guichet")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import db

        connection_created.connect(db.sqlite_register, dispatch_uid="parvis_journal_purge")
