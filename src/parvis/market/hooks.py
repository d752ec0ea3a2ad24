"""The market plugged into the layers below (docs/adr/0005, 0015): the fee and stand orders' lines, the
company on their invoices, the badges at the door."""

from django.utils.translation import gettext as _

from parvis.checkin import extensions as door
from parvis.crm.extensions import personal_data
from parvis.ticketing import extensions
from parvis.ticketing.extensions import LineKind
from parvis.ticketing.models import OrderExtra

from . import accreditation, stands
from .badges import Badges
from .models import BadgePack, Participant, StandBooking
from .personal_data import MarketParticipants


class MarketLines(LineKind):
    extra_kind = OrderExtra.Kind.MARKET

    def order_paid(self, order, *, paid_at) -> None:
        accreditation.issue_paid(order)
        stands.paid(order, paid_at=paid_at)

    def order_cancelled(self, order, *, actor=None) -> None:
        accreditation.cancel_of_order(order, actor=actor)
        stands.cancel_of_order(order, actor=actor)


def invoice_buyer(order) -> dict:
    """An accreditation, a pack or a stand is invoiced to the company (B2B invoice)."""
    booking = StandBooking.objects.filter(order=order).select_related("exhibitor").first()
    if booking is not None:
        exhibitor = booking.exhibitor
        return {
            "company": exhibitor.name,
            "address": exhibitor.billing_address,
            "siret": exhibitor.siret,
            "vat_number": exhibitor.vat_number,
            "purchase_order": booking.purchase_order,
        }
    participant = Participant.objects.filter(order=order).first()
    if participant is not None and participant.organisation_name:
        return {
            "company": participant.organisation_name,
            "address": participant.billing_address,
            "siret": participant.siret,
            "vat_number": participant.vat_number,
        }
    pack = BadgePack.objects.filter(order=order).first()
    if pack is not None:
        return {"company": pack.organisation_name}
    return {}


def order_links(order, base_url: str) -> list[tuple[str, str, str]]:
    """The participant's page (badge, agenda) or the pack's naming page, in the e-mail and on the order."""
    links = [
        (_("Votre page participant et votre badge"), base_url + p.get_absolute_url(), "")
        for p in Participant.objects.filter(order=order)
    ]
    links += [
        (
            _("Nommer les badges de votre équipe"),
            base_url + pack.get_absolute_url(),
            _("Chaque personne nommée reçoit son badge par e-mail."),
        )
        for pack in BadgePack.objects.filter(order=order)
    ]
    return links


def register() -> None:
    extensions.line_kinds.register("market", MarketLines())
    extensions.invoice_buyers.register("market", invoice_buyer)
    extensions.order_links.register("market", order_links)
    door.code_kinds.register("3", Badges())
    personal_data.register("market", MarketParticipants())
