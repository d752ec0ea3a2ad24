"""What the ticketing core lets the products built on it plug in (docs/adr/0005).

- `line_kinds`: each kind of thing an order sells besides places (a gift voucher, a donation, a pass, a
  member card, a subscription, later a seat or a stand) registers one `LineKind`. The order's life reaches
  it through these calls only: paid, cancelled by the staff or the buyer, its tickets refunded; its
  confirmation e-mail and order page show what it made.
- `benefits`: the one provider of member cards and subscriptions whose benefits a cart applies (member
  tariffs, free entries, priority booking, subscriber tariffs). Without one, no cart has benefits.
- `ticket_page`: what else the tickets page of a date offers (a pass the buyer holds, …).
- `ticket_relations`: what a printed ticket shows of a product (a pass's entry), read with the ticket.
- `order_links`: what an order gives besides printed tickets (an online ticket's access link).
- `invoice_buyers`: a professional buyer's details on the invoice (company, SIRET, VAT number).

Ticketing never imports the apps that register here: they sit above it.
"""

import datetime
from dataclasses import dataclass

from parvis.core.registry import Registry
from parvis.crm.extensions import PersonalDataHolder


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


class LineKind:
    """One kind of order line a product sells. Subclass it, override what the product needs, and register
    an instance in the product's `AppConfig.ready()`: `line_kinds.register("pass", PassLines())`.

    Every hook runs inside the caller's transaction: raising a `SaleError` refuses the whole operation."""

    #: the `OrderExtra.Kind` of this product's lines ("" when it rides on the order itself)
    extra_kind: str = ""

    def concerns(self, order, extra_kinds: set[str]) -> bool:
        """Whether this order has lines of this kind (`extra_kinds`: the kinds of its extras)."""
        return bool(self.extra_kind) and self.extra_kind in extra_kinds

    def order_paid(self, order, *, paid_at: datetime.datetime) -> None:
        """The order is paid: what it bought becomes valid (called once per confirmation)."""

    def order_cancelled(self, order, *, actor=None) -> None:
        """A paid order is cancelled, before its tickets are refunded: undo what `order_paid` made, or
        refuse (`SaleError`) when it can no longer be undone."""

    def extras_refunded(self, order) -> None:
        """The order's extras (add-ons, donation, …) were refunded with it."""

    def tickets_released(self, ticket_ids: list[int]) -> None:
        """These tickets were refunded (by the buyer, the staff, or a cancelled date)."""

    def confirmation(self, order, *, base_url: str) -> dict:
        """What the confirmation e-mail and the order page show of this kind (template context)."""
        return {}

    def attachments(self, order, context: dict) -> list[Attachment]:
        """Files the confirmation e-mail carries for this kind (`context`: what `confirmation` gave)."""
        return []


line_kinds: Registry[LineKind] = Registry("order line kinds")

# Relations of `Ticket` that a product adds and that a printed ticket shows (a pass's entry says "Compris
# dans le pass"): read with the tickets (`select_related`) instead of one query per ticket.
ticket_relations: list[str] = []


# What a product adds to a ticket's mentions (printed, on the order page): each a function of the ticket
# giving (label, text) pairs, read from the relations above (no query of its own). A seat says « Place ».
ticket_mentions: Registry = Registry("ticket mentions")


def mentions_of(ticket) -> list[tuple[str, str]]:
    return [line for mention in ticket_mentions for line in mention(ticket)]


def kinds_of(order, extra_kinds: set[str]) -> list[LineKind]:
    """The registered line kinds this order has lines of."""
    return [kind for kind in line_kinds if kind.concerns(order, extra_kinds)]


class BenefitsProvider:
    """Member cards and subscriptions, as a cart applies them. The memberships app registers the one."""

    def benefits_for(self, membership, organizer_id: int, *, at=None):
        """The benefits of this card at this organizer, or None: an object with `membership_id`, `persons`,
        `priority_days`, `addon_discount_percent` and `free_event_ids` (memberships.services.Benefits)."""
        return None

    def membership_find(self, *, code: str, email: str | None):
        """The card of this code (the holder's e-mail must match, unless None at the counter)."""
        return None

    def remembered_card_id(self, *, email: str) -> int | None:
        """The valid card of a signed-in customer, if any."""
        return None

    def card_by_id(self, membership_id: int):
        return None

    def subscription_covers(self, subscription, performance) -> bool:
        return False


benefits: Registry[BenefitsProvider] = Registry("member benefits providers")


def benefits_provider() -> BenefitsProvider:
    """The registered provider, or one that gives nothing (no memberships app installed)."""
    return benefits.get("memberships") or BenefitsProvider()


# What an order gives besides printed tickets, shown by its confirmation e-mail and its page: functions of
# (order, base_url) giving (label, url, note) triples (an online ticket's personal access link). Called when
# the e-mail is written or the page shown, never while a sale is made.
order_links: Registry = Registry("links an order gives")


def links_of(order, base_url: str) -> list[tuple[str, str, str]]:
    return [link for links in order_links for link in links(order, base_url)]


# Whom an invoice is made out to besides the buyer's name and e-mail: a company's name, address, SIRET,
# VAT number and purchase order (a professional's accreditation, an exhibitor's stand): functions of the
# order giving those keys, or {} when the order is not theirs.
invoice_buyers: Registry = Registry("invoice buyer details")


def invoice_buyer_of(order) -> dict:
    details: dict = {}
    for buyer in invoice_buyers:
        details.update(buyer(order))
    return details


# What a product says to the staff on a date's sales page: functions of the performance giving sentences
# (a seated date's tariff that sells no seat category).
performance_notes: Registry = Registry("notes on a date's sales page")

# How a product adjusts the VAT rate of a date's tariff when it is made or aligned on its price list (a new
# creation's first 140 performances at 2.1 %, a territory's own rates, a stream at the normal rate):
# functions of (performance, rate, online) giving the rate, applied in order.
tariff_vat_rates: Registry = Registry("VAT rate of a date's tariff")


def vat_rate_for(performance, rate, *, online: bool = False):
    for adjust in tariff_vat_rates:
        rate = adjust(performance, rate, online)
    return rate


class TicketPageExtension:
    """Adds to the tickets page of a date (template context). The performance carries `sells_seats`:
    whether one of its tariffs sold online is seated."""

    def context(self, request, performance) -> dict:
        return {}


ticket_page: Registry[TicketPageExtension] = Registry("tickets page extensions")


class NamedOnOrders(PersonalDataHolder):
    """Rows of an app above the ticketing that name the buyer and belong to one of their orders (a member
    card, a subscription, a pass): in the person's export, anonymised at their erasure, their audit entries
    pseudonymised. Registered by that app with its models."""

    def __init__(self, *models):
        self.models = models

    def _rows(self, model, contact):
        return model.objects.filter(order__contact=contact)

    def export(self, contact) -> dict:
        fields = ("code", "first_name", "last_name", "email", "state")
        return {
            f"{model._meta.model_name}s": list(self._rows(model, contact).values(*fields))
            for model in self.models
        }

    def erase(self, contact) -> dict:
        erased = {}
        for model in self.models:
            rows = self._rows(model, contact)
            extra = {"other_names": []} if any(f.name == "other_names" for f in model._meta.fields) else {}
            for row in rows.only("pk"):
                model.objects.filter(pk=row.pk).update(
                    first_name="", last_name="", email=f"anonyme-{row.pk}@anonyme.invalid", **extra
                )
            erased[f"{model._meta.model_name}s"] = rows.count()
        return erased

    def about(self, contact) -> list[tuple[str, object]]:
        return [
            (model._meta.label_lower, self._rows(model, contact).values_list("pk", flat=True))
            for model in self.models
        ]
