"""The ticketing's part in the audience relation (docs/adr/0005): the personal data its orders and tickets
hold (a person's access export and erasure, and what moves when two profiles are merged), and the segment
rule on tariffs bought. Registered with the CRM, below it, in `TicketingConfig.ready()`."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from parvis.core.erasure import mentioning, scrub, words_of
from parvis.crm.extensions import PersonalDataHolder, RuleKind, contact_emails

from .models import (
    IdempotencyRecord,
    Order,
    OrderItem,
    OrderState,
    TariffKind,
    Ticket,
    TicketState,
    WaitingEntry,
)


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
        """Orders and tickets stay (accounting, ticketing records), without name, e-mail or address; so do
        the lines' attendee names, the person's waiting-list entries and the API's replayable answers about
        their orders. Invoices and tax receipts are legal documents, kept unchanged."""
        orders = Order.objects.filter(contact=contact)
        emails = contact_emails(contact)
        codes = list(orders.values_list("code", flat=True))
        emails += [e.lower() for e in orders.values_list("email", flat=True) if e.lower() not in emails]
        for order in orders.only("pk"):
            Order.objects.filter(pk=order.pk).update(
                email=f"anonyme-{order.pk}@anonyme.invalid", first_name="", last_name="", postal_code=""
            )
        Ticket.objects.filter(order__contact=contact).update(attendee_name="")
        OrderItem.objects.filter(order__contact=contact).exclude(attendee_names=[]).update(attendee_names=[])
        waiting = self._waiting(contact, emails)
        for entry in waiting.only("pk"):
            WaitingEntry.objects.filter(pk=entry.pk).update(
                email=f"anonyme-{entry.pk}@anonyme.invalid", first_name="", last_name=""
            )
        words = words_of(contact.first_name, contact.last_name, contact.phone, *emails)
        for record in mentioning(IdempotencyRecord.objects.only("pk", "response"), ("response",), codes):
            IdempotencyRecord.objects.filter(pk=record.pk).update(response=scrub(record.response, words))
        return {"orders": len(codes), "waiting_entries": waiting.count()}

    def about(self, contact) -> list[tuple[str, object]]:
        return [
            *super().about(contact),
            ("ticketing.ticket", Ticket.objects.filter(order__contact=contact).values_list("pk", flat=True)),
            (
                "ticketing.waitingentry",
                self._waiting(contact, contact_emails(contact)).values_list("pk", flat=True),
            ),
        ]

    @staticmethod
    def _waiting(contact, emails):
        return WaitingEntry.objects.filter(performance__organizer_id=contact.organizer_id, email__in=emails)


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
