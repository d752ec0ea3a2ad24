from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "parvis.crm"
    verbose_name = _("Relation aux publics")
