from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from parvis.crm.extensions import personal_data
from parvis.programming.extensions import offers
from parvis.ticketing import extensions


class PassesConfig(AppConfig):
    name = "parvis.passes"
    verbose_name = _("Pass")

    def ready(self):
        from .lines import PassLines, PassOffers, PassOptions
        from .models import PassHolding

        extensions.line_kinds.register("pass", PassLines())
        extensions.ticket_page.register("passes", PassOptions())
        if "pass_entry__holding" not in extensions.ticket_relations:
            extensions.ticket_relations.append("pass_entry__holding")
        offers.register("passes", PassOffers())
        personal_data.register("passes", extensions.NamedOnOrders(PassHolding))
