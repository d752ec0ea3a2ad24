from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from parvis.core.audit_reading import words
from parvis.crm.extensions import personal_data, rule_kinds
from parvis.programming.extensions import dates


class TicketingConfig(AppConfig):
    name = "parvis.ticketing"
    verbose_name = _("Billetterie")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import (
            extensions,
            inventory,
            tasks,  # noqa: F401 - how its tasks are tried again (core.jobs.policy)
            waitlist,
        )
        from .audience import BOUGHT_TARIFF, OrdersAndTickets
        from .audit_words import SalesWords
        from .auth import _tokens
        from .models import ApiToken, SigningKey
        from .receipts import DonationLines
        from .services import PriceListFollower
        from .signing import forget_current_keys
        from .voucher_sales import VoucherLines

        # Ticketing's own products plug in as any other would (docs/adr/0005).
        extensions.line_kinds.register("gift_voucher", VoucherLines())
        extensions.line_kinds.register("donation", DonationLines())
        inventory.places_freed.register("waiting_list", waitlist.offer_freed)
        # The facts the CRM cannot know of itself, being below: orders and tickets of a person.
        personal_data.register("orders_and_tickets", OrdersAndTickets())
        rule_kinds.register("bought_tariff", BOUGHT_TARIFF)
        # An event's price list reaches its new dates; a copied date or event takes its prices.
        dates.register("price_list", PriceListFollower())
        words.register("sales", SalesWords())

        # A token saved or deleted in this process is read again at its next call.
        post_save.connect(_tokens.forget, sender=ApiToken, dispatch_uid="api_tokens_forget")
        post_delete.connect(_tokens.forget, sender=ApiToken, dispatch_uid="api_tokens_forget_del")
        post_save.connect(forget_current_keys, sender=SigningKey, dispatch_uid="signing_keys_forget")
        post_delete.connect(forget_current_keys, sender=SigningKey, dispatch_uid="signing_keys_forget_del")
