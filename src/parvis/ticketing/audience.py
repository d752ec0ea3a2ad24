"""The ticketing's part in the audience relation (docs/adr/0005): the personal data its orders and tickets
hold (a person's access export and erasure, and what moves when two profiles are merged), and the segment
rule on tariffs bought. Registered with the CRM, below it, in `TicketingConfig.ready()`."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from parvis.crm.extensions import PersonalDataHolder, RuleKind

from .models import Order, OrderState, TariffKind, Ticket, TicketState


class OrdersAndTickets(PersonalDataHolder):
    owned = (("orders", Order, "contact"),)

    def export(self, contact) -> dict:
        orders = Order.objects.filter(contact=contact).order_by("created_at")
        tickets = Ticket.objects.filter(order__contact=contact).select_related(
            "performance__event", "performance__venue", "tariff", "order"
        )
        return {
            "orders": [
                {
                    "code": o.code,
                    "created_at": o.created_at,
                    "state": o.state,
                    "total": str(o.total),
                    "currency": o.currency,
                    "email": o.email,
                    "first_name": o.first_name,
                    "last_name": o.last_name,
                    "postal_code": o.postal_code,
                }
                for o in orders
            ],
            "tickets": [
                {
                    "order": t.order_id and t.order.code,
                    "event": t.performance.event.title,
                    "venue": t.performance.venue.name,
                    "starts_at": t.performance.starts_at,
                    "tariff": t.tariff.name,
                    "price": str(t.price),
                    "number": t.number,
                    "attendee_name": t.attendee_name,
                    "state": t.state,
                }
                for t in tickets
            ],
        }

    def erase(self, contact) -> dict:
        """Orders and tickets stay (accounting, ticketing records), without name, e-mail or address."""
        orders = Order.objects.filter(contact=contact)
        for order in orders.only("pk"):
            Order.objects.filter(pk=order.pk).update(
                email=f"anonyme-{order.pk}@anonyme.invalid", first_name="", last_name="", postal_code=""
            )
        Ticket.objects.filter(order__contact=contact).update(attendee_name="")
        return {"orders": orders.count()}


def _bought_tariff(organizer, value) -> Q:
    return Q(
        Exists(
            Ticket.objects.filter(
                order__contact=OuterRef("pk"),
                tariff__kind=value,
                state=TicketState.VALID,
                order__state__in=[OrderState.PAID, OrderState.PARTIALLY_REFUNDED],
            )
        )
    )


BOUGHT_TARIFF = RuleKind(
    label=_("A acheté un tarif"),
    value_kind="tariff_kind",
    condition=_bought_tariff,
    choices=TariffKind.choices,
)
