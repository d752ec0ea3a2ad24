from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from parvis.crm.extensions import personal_data


class MarketingConfig(AppConfig):
    name = "parvis.marketing"
    verbose_name = _("Campagnes")

    def ready(self):
        from . import tasks  # noqa: F401 - how its tasks are tried again (core.jobs.policy)
        from .personal_data import CampaignRecipients

        personal_data.register("campaigns", CampaignRecipients())
