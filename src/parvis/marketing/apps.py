from anymail.signals import tracking
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from parvis.crm.extensions import contact_notices, personal_data


class MarketingConfig(AppConfig):
    name = "parvis.marketing"
    verbose_name = _("Campagnes")

    def ready(self):
        from . import inbound, tasks  # noqa: F401 - tasks: how they are tried again (core.jobs.policy)
        from .personal_data import CampaignRecipients, CurrentJourneys, SuppressedAddresses

        personal_data.register("campaigns", CampaignRecipients())
        contact_notices.register("suppressed_addresses", SuppressedAddresses())
        contact_notices.register("current_journeys", CurrentJourneys())
        tracking.connect(inbound.provider_event, dispatch_uid="parvis.marketing.provider_event")
