"""Who buys: the buyer's details as an order keeps them, their audience profile, who sells on whose behalf."""

from dataclasses import dataclass, field

from parvis.core.compiled import CompiledQuery
from parvis.crm import services as crm
from parvis.network.models import NetworkMembership
from parvis.network.selectors import terms_version

from ..models import (
    Channel,
    Order,
)


@dataclass
class Buyer:
    email: str
    first_name: str
    last_name: str
    postal_code: str = ""
    language: str = "fr"
    postal_address: str = ""
    attendee_names: dict[int, list[str]] = field(default_factory=dict)  # hold id -> names
    # Accepted the seller's terms of sale (online); the order then records the version in force.
    terms_accepted: bool = False

    def contact_at(self, organizer_id: int, *, source: str):
        """The buyer's one audience profile at this organizer (created if new)."""
        return crm.contact_resolve(
            organizer_id=organizer_id,
            email=self.email,
            first_name=self.first_name,
            last_name=self.last_name,
            postal_code=self.postal_code,
            language=self.language,
            source=source,
        )

    def order_fields(self, organizer_id: int | None = None) -> dict:
        """Who an order for this organizer is for, as the order keeps it (trimmed; the e-mail in lower
        case), and the version of its terms of sale the buyer accepted."""
        terms = ""
        if self.terms_accepted and organizer_id is not None:
            terms = terms_version(organizer_id=organizer_id)
        return {
            "terms_version": terms,
            "email": self.email.strip().lower(),
            "first_name": self.first_name.strip(),
            "last_name": self.last_name.strip(),
            "postal_code": self.postal_code.strip(),
            "postal_address": self.postal_address.strip()[:300],
            "language": self.language,
        }


def sellers_of(organizer_ids, *, channel: str) -> dict[int, int]:
    """Who sells each organizer's places on this channel: itself, or online the network that sells on its
    behalf (the seller of record of the order; the tickets stay the organizer's, signed with its key)."""
    sellers = {pk: pk for pk in organizer_ids}
    if channel != Channel.ONLINE:  # the counter and a sales channel's API sell in their own name
        return sellers
    sellers.update(_network_sellers(list(organizer_ids)))
    return sellers


_network_sellers = CompiledQuery(  # asked at each step of a checkout
    NetworkMembership,
    lambda organizer_ids: NetworkMembership.objects.filter(
        organizer_id__in=organizer_ids, sold_by_network=True, network__ticket_seller__isnull=False
    ).values_list("organizer_id", "network__ticket_seller_id"),
)


def consents_record(contact, order: Order, consents: list[dict]) -> None:
    """Boxes ticked at checkout go to the consent ledger with their wording and version (unticked: none)."""
    if contact is None:
        return
    for consent in consents:
        if consent.get("given") and consent.get("purpose") in crm.Purpose.values:
            crm.consent_record(
                contact=contact,
                purpose=consent["purpose"],
                given=True,
                source=crm.Consent.Source.CHECKOUT,
                wording=consent.get("text", ""),
                version=consent.get("version", ""),
                proof={"order": order.code, "form": "checkout"},
            )
