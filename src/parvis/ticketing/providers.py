"""Payment providers. Each says how long an order may wait for its payment and how it is paid."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Provider:
    code: str
    label: str
    payment_window: datetime.timedelta
    confirms_immediately: bool = False
    online: bool = True


PROVIDERS = {
    "free": Provider("free", _("Gratuit"), datetime.timedelta(minutes=15), confirms_immediately=True),
    "transfer": Provider(
        "transfer", _("Virement bancaire (billets envoyés à réception)"), datetime.timedelta(days=5)
    ),
    "stripe": Provider(
        "stripe", _("Carte bancaire (paiement sécurisé par Stripe)"), datetime.timedelta(minutes=30)
    ),
    "demo": Provider(
        "demo", _("Paiement de démonstration (aucun argent ne circule)"), datetime.timedelta(minutes=30)
    ),
    # A gift voucher that pays the whole order (online); its balance is spent when the order is placed.
    "voucher": Provider(
        "voucher", _("Bon cadeau"), datetime.timedelta(minutes=15), confirms_immediately=True, online=False
    ),
    # A partner sales channel (API token) took the money itself and settles with the organizer.
    "channel": Provider(
        "channel",
        _("Canal de vente partenaire"),
        datetime.timedelta(minutes=15),
        confirms_immediately=True,
        online=False,
    ),
    # Money taken at the counter (cash, card on an external terminal, cheque…): never offered online.
    "box_office": Provider(
        "box_office", _("Guichet"), datetime.timedelta(minutes=15), confirms_immediately=True, online=False
    ),
}

# How the counter takes money; a payment row's `provider` is one of these codes.
# The counter's own money: given back only through a till and its journal.
COUNTER_MONEY = ("cash", "card_terminal", "cheque")

COUNTER_METHODS = {
    "cash": _("Espèces"),
    "card_terminal": _("Carte (terminal)"),
    "cheque": _("Chèque"),
    "voucher": _("Bon cadeau"),
}


def enabled_providers() -> dict[str, Provider]:
    enabled = {
        code: PROVIDERS[code]
        for code in settings.PARVIS_PAYMENT_PROVIDERS
        if code in PROVIDERS and PROVIDERS[code].online
    }
    if not (settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET):
        enabled.pop("stripe", None)  # not configured: not offered
    return enabled


def providers_without_places(price) -> dict[str, Provider]:
    """How an order without places (a pass, a card, a voucher) may be paid online: for free if it costs
    nothing, otherwise by a provider that pays at once (a transfer waits for no performance date)."""
    enabled = enabled_providers()
    if price == 0:
        return {c: p for c, p in enabled.items() if c == "free"}
    return {c: p for c, p in enabled.items() if c not in ("free", "transfer")}


# A transfer must arrive at least this long before the first performance of the order.
TRANSFER_MARGIN = datetime.timedelta(days=1)
TRANSFER_MIN_WINDOW = datetime.timedelta(hours=12)
