"""What a group pays for an offer."""

from dataclasses import dataclass
from decimal import Decimal

from .models import GroupOffer, Pricing

CENT = Decimal("0.01")


@dataclass
class Amount:
    free_adults: int
    paying: int  # people paying (per person), or 1 (per group)
    unit: Decimal
    total: Decimal


def amount(offer: GroupOffer, pupils: int, adults: int) -> Amount:
    """What the group pays: per person, the pupils and the adults beyond the free ones; or once per group."""
    free = min(adults, pupils // offer.adults_free_per) if offer.adults_free_per else 0
    if offer.pricing == Pricing.PER_GROUP:
        return Amount(free, 1, offer.price, offer.price)
    paying = pupils + adults - free
    return Amount(free, paying, offer.price, (offer.price * paying).quantize(CENT))
