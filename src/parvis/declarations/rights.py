"""The authors' societies' statements, per performance: SACEM (music: the takings of tickets, bar,
catering and programmes by VAT rate, and the performance's expenses) and SACD (drama, dance, circus: the
box office excluding VAT, subscription and pass shares included), as files ready to send.

Rules, as the page states them:
- tickets: the valid ones, a pass entry for its share of the pass, a subscription's ticket for its price;
- programmes and add-ons: those of paid orders for the performance (an order for several dates counts
  for its first);
- bar and catering takings and expenses: typed by staff, per performance;
- the society is proposed from the genre (music: SACEM; drama, dance, circus, young audience: SACD);
  both files can be made for any performance."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Min
from django.utils.translation import gettext as _

from parvis.core.money import vat_split
from parvis.programming.models import Genre
from parvis.ticketing.models import OrderExtra, OrderState

from .models import PerformanceRights
from .revenue import CENT, valid_sold
from .show_tax import performances

PARIS = ZoneInfo("Europe/Paris")
SACEM_GENRES = {Genre.JAZZ, Genre.MUSIC, Genre.CLASSICAL}
SACD_GENRES = {Genre.THEATRE, Genre.DANCE, Genre.CIRCUS, Genre.YOUNG_AUDIENCE}
TAKINGS = ("bar", "catering")


@dataclass
class RightsRow:
    performance: object
    society: str = ""
    tickets: dict[Decimal, Decimal] = field(default_factory=dict)  # VAT rate → amount, VAT included
    paying: int = 0
    free: int = 0
    subscription_pass: Decimal = Decimal(0)
    programmes: dict[Decimal, Decimal] = field(default_factory=dict)
    bar: dict[Decimal, Decimal] = field(default_factory=dict)
    catering: dict[Decimal, Decimal] = field(default_factory=dict)
    expenses: Decimal | None = None

    @property
    def typed(self) -> list[tuple[str, str, tuple]]:
        """The bar and catering takings for the form: (name, label, (rate, amount) or ())."""
        return [
            (name, label, next(iter(getattr(self, name).items()), ()))
            for name, label in (("bar", _("Bar, TTC (€)")), ("catering", _("Restauration, TTC (€)")))
        ]

    @property
    def gross(self) -> Decimal:
        return sum(self.tickets.values(), Decimal(0))

    @property
    def excl(self) -> Decimal:
        return sum((vat_split(amount, rate)[0] for rate, amount in self.tickets.items()), Decimal(0))


def society(genre: str) -> str:
    return "sacem" if genre in SACEM_GENRES else "sacd" if genre in SACD_GENRES else ""


def rows(organizer, start: datetime.datetime, end: datetime.datetime) -> list[RightsRow]:
    found = list(performances(organizer, start, end))
    ids = [p.pk for p in found]
    sold = valid_sold(ids)
    programmes = _programmes(ids)
    typed = {r.performance_id: r for r in PerformanceRights.objects.filter(performance_id__in=ids)}
    result = []
    for performance in found:
        row = RightsRow(performance, society=society(performance.event.genre))
        tickets: dict[Decimal, Decimal] = defaultdict(Decimal)
        for one in sold.get(performance.pk, []):
            tickets[one.vat_rate] += one.amount
            row.paying += one.amount > 0
            row.free += one.amount == 0
            if one.is_pass or one.subscription:
                row.subscription_pass += one.amount
        row.tickets = dict(sorted(tickets.items()))
        row.programmes = programmes.get(performance.pk, {})
        if performance.pk in typed:
            entry = typed[performance.pk]
            row.bar, row.catering = (_by_rate(entry.takings.get(name, [])) for name in TAKINGS)
            row.expenses = entry.expenses
        result.append(row)
    return result


def _by_rate(pairs) -> dict[Decimal, Decimal]:
    return {Decimal(rate): Decimal(amount) for rate, amount in pairs}


def _programmes(performance_ids) -> dict[int, dict[Decimal, Decimal]]:
    """Add-ons of paid orders, per the order's first performance among these, per VAT rate."""
    firsts = dict(
        OrderExtra.objects.filter(
            kind=OrderExtra.Kind.PRODUCT,
            order__state__in=[OrderState.PAID, OrderState.PARTIALLY_REFUNDED],
            order__items__performance_id__in=performance_ids,
        )
        .values("order_id")
        .annotate(first=Min("order__items__performance_id"))
        .values_list("order_id", "first")
    )
    found: dict[int, dict[Decimal, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    extras = OrderExtra.objects.filter(kind=OrderExtra.Kind.PRODUCT, order_id__in=firsts).values_list(
        "order_id", "vat_rate", "unit_price", "quantity"
    )
    for order_id, rate, price, quantity in extras:
        found[firsts[order_id]][rate] += price * quantity
    return {pk: dict(sorted(rates.items())) for pk, rates in found.items()}


def sacem_rows(found: list[RightsRow]) -> list[list[str]]:
    head = [
        _("Date"), _("Spectacle"), _("Lieu"), _("Commune"), _("Jauge"), _("Entrées payantes"),
        _("Entrées gratuites"), _("Recette"), _("Taux de TVA"), _("Montant TTC"), _("Montant HT"),
        _("Dépenses du spectacle (HT)"),
    ]  # fmt: skip
    lines = [head]
    kinds = (("tickets", _("Billetterie")), ("bar", _("Bar")), ("catering", _("Restauration")),
             ("programmes", _("Programmes et produits")))  # fmt: skip
    for row in found:
        first = True
        for name, label in kinds:
            for rate, amount in getattr(row, name).items():
                lines.append(_head(row) + [
                    label, _comma(rate), _comma(amount), _comma(vat_split(amount, rate)[0]),
                    _comma(row.expenses) if first and row.expenses is not None else "",
                ])  # fmt: skip
                first = False
        if first:  # nothing sold: the performance is declared all the same
            lines.append(_head(row) + [_("Billetterie"), "", "0,00", "0,00", _comma(row.expenses)])
    return lines


def sacd_rows(found: list[RightsRow]) -> list[list[str]]:
    head = [
        _("Date"), _("Spectacle"), _("Lieu"), _("Commune"), _("Jauge"), _("Entrées payantes"),
        _("Entrées gratuites"), _("Recette TTC"), _("Recette HT"), _("Dont abonnements et pass (TTC)"),
    ]  # fmt: skip
    return [head] + [
        _head(row) + [_comma(row.gross), _comma(row.excl), _comma(row.subscription_pass)] for row in found
    ]


def _head(row: RightsRow) -> list[str]:
    p = row.performance
    return [
        p.starts_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M"), p.event.title, p.venue.name, p.venue.town,
        str(p.capacity or p.venue.capacity or ""), str(row.paying), str(row.free),
    ]  # fmt: skip


def _comma(value: Decimal | None) -> str:
    return "" if value is None else str(Decimal(value).quantize(CENT)).replace(".", ",")
