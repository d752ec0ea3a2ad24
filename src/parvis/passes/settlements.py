"""Revenue split between venues (reversements) for the passes a network sells.

Each pass's price is allocated in lines that add up to it exactly, to the cent:
- the seller's commission (a percentage of the price), recognised when the pass is paid;
- then the rest, by the product's rule: a share per entry used (`proportional`: the rest divided evenly
  between the pass's entries; `fixed`: a fixed amount per entry, as long as the rest lasts), recognised on
  the performance's date, or an equal share between the partner organizers, recognised when it is paid;
- what unused entries leave once the pass has expired (or what a fixed amount per entry leaves once every
  entry is used) goes to the seller (`kept`) or to the venues where the pass was used, in proportion to their
  entries (`shared`), recognised on the expiry date (or the last entry's).
Cents that do not divide go by the largest remainder, then to the earliest entry or the lowest organizer
id: the stated rule for rounding. A statement for a period is the lines recognised in it.

A network may also sell its members' tickets online on their behalf (`Network.ticket_seller`): each such
ticket gives a `ticket` line to the performance's organizer (its price less the network's commission) and a
`commission` line to the seller, both recognised on the performance's date; refunded tickets give nothing.

Entries are ranked by performance date: new bookings are always for future performances, and bookings
are cancelled only before their performance, so the lines of a past period never change.
"""

import csv
import datetime
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from parvis.checkin.models import Presence
from parvis.core.money import vat_split
from parvis.network.models import NetworkMembership, Organizer
from parvis.programming.models import Festival
from parvis.ticketing.models import OrderState, Ticket, TicketState

from .models import PassEntry, PassHolding, PassProduct, SplitRule, UnusedRule

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    holding_id: int  # 0 for a ticket sold on behalf of its organizer
    organizer_id: int
    kind: str  # commission | entry | equal | unused | ticket
    amount: Decimal
    vat_rate: Decimal
    at: datetime.datetime
    performance_id: int | None = None
    ticket_number: int | None = None
    # A commission on a ticket sold for another organizer: the organizer it is withheld from.
    withheld_from: int | None = None


@dataclass(frozen=True)
class UsedEntry:
    organizer_id: int
    performance_id: int
    starts_at: datetime.datetime
    ticket_number: int
    ticket_id: int


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` amounts that differ by one cent at most, the larger ones first."""
    cents = int((total / CENT).to_integral_value())
    base, extra = divmod(cents, parts)
    return [(base + (1 if i < extra else 0)) * CENT for i in range(parts)]


def split_by_weights(total: Decimal, weights: dict[int, int]) -> dict[int, Decimal]:
    """`total` split in proportion to the weights, to the cent; remainders by largest remainder, then id."""
    cents = int((total / CENT).to_integral_value())
    weight_sum = sum(weights.values())
    shares = {key: cents * weight // weight_sum for key, weight in weights.items()}
    left = cents - sum(shares.values())
    by_remainder = sorted(weights, key=lambda key: (-(cents * weights[key] % weight_sum), key))
    for key in by_remainder[:left]:
        shares[key] += 1
    return {key: share * CENT for key, share in shares.items()}


def holding_lines(
    *,
    holding: PassHolding,
    product: PassProduct,
    entries: list[UsedEntry],
    partner_ids: list[int],
    paid_at: datetime.datetime,
    now: datetime.datetime,
) -> list[Line]:
    """Every line of one pass, as far as it is known at `now` (unused entries only once it has expired)."""
    price, rate, seller = holding.price, holding.vat_rate, product.organizer_id
    commission = (price * product.commission_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    rest = price - commission
    lines = []
    if commission:
        lines.append(Line(holding.pk, seller, "commission", commission, rate, paid_at))
    if product.split_rule == SplitRule.EQUAL:
        partners = sorted(partner_ids) or [seller]
        for organizer_id, amount in split_by_weights(rest, dict.fromkeys(partners, 1)).items():
            if amount:
                lines.append(Line(holding.pk, organizer_id, "equal", amount, rate, paid_at))
        return lines
    used = sorted(entries, key=lambda e: (e.starts_at, e.ticket_id))[: holding.entries]
    if product.split_rule == SplitRule.FIXED:
        fixed, remaining, values = product.fixed_amount or Decimal(0), rest, []
        for _entry in used:
            values.append(min(fixed, remaining))
            remaining -= values[-1]
        unused = remaining
    else:
        parts = split_evenly(rest, holding.entries)
        values, unused = parts[: len(used)], sum(parts[len(used) :], Decimal(0))
    for entry, amount in zip(used, values, strict=True):
        lines.append(
            Line(
                holding.pk,
                entry.organizer_id,
                "entry",
                amount,
                rate,
                entry.starts_at,
                entry.performance_id,
                entry.ticket_number,
            )
        )
    # What is left is known once the pass has expired, or once every entry is used (a fixed amount per
    # entry may leave something): recognised then.
    all_used = len(used) == holding.entries
    if unused and (holding.valid_until <= now or all_used):
        at = max(e.starts_at for e in used) if all_used else holding.valid_until
        if product.unused_rule == UnusedRule.SHARED and used:
            weights: dict[int, int] = defaultdict(int)
            for entry in used:
                weights[entry.organizer_id] += 1
            for organizer_id, amount in split_by_weights(unused, weights).items():
                if amount:
                    lines.append(Line(holding.pk, organizer_id, "unused", amount, rate, at))
        else:
            lines.append(Line(holding.pk, seller, "unused", unused, rate, at))
    return lines


@dataclass
class StatementRow:
    organizer_id: int
    name: str
    siret: str = ""
    entries: int = 0
    entries_amount: Decimal = Decimal(0)
    tickets: int = 0
    tickets_gross: Decimal = Decimal(0)  # the price the buyers paid for this organizer's tickets
    tickets_withheld: Decimal = Decimal(0)  # the seller's commission taken from that price
    tickets_amount: Decimal = Decimal(0)  # what is left for this organizer: gross less commission
    equal_amount: Decimal = Decimal(0)
    unused_amount: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)  # the commissions this organizer earns as the seller
    total: Decimal = Decimal(0)
    excl_tax: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    lines: list[Line] = field(default_factory=list)


@dataclass
class Statement:
    network: object
    start: datetime.datetime
    end: datetime.datetime
    rows: list[StatementRow]
    total: StatementRow
    passes_sold: int


def period_bounds(period: str, *, network=None) -> tuple[datetime.datetime, datetime.datetime, str]:
    """`2026-11` (month), `2026-Q4` (quarter), `2026` (year), `2026-11-01..2026-11-15` (dates, inclusive)
    or `festival:<slug>` (a network's festival), in the site's time zone; the end is exclusive."""

    period = (period or "").strip()
    tz = timezone.get_current_timezone()

    def at(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)

    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})", period):
            year, month = int(m[1]), int(m[2])
            first = datetime.date(year, month, 1)
            following = datetime.date(year + month // 12, month % 12 + 1, 1)
            return at(first), at(following), period
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", period):
            year, quarter = int(m[1]), int(m[2])
            first = datetime.date(year, 3 * quarter - 2, 1)
            following = datetime.date(year + quarter // 4, (3 * quarter) % 12 + 1, 1)
            return at(first), at(following), period.upper()
        if re.fullmatch(r"\d{4}", period):
            year = int(period)
            return at(datetime.date(year, 1, 1)), at(datetime.date(year + 1, 1, 1)), period
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", period):
            first, last = datetime.date.fromisoformat(m[1]), datetime.date.fromisoformat(m[2])
            if last >= first:
                return at(first), at(last + datetime.timedelta(days=1)), period
        if period.startswith("festival:") and network is not None:
            festival = Festival.objects.filter(network=network, slug=period[9:]).first()
            if festival is not None:
                return (
                    at(festival.starts_on),
                    at(festival.ends_on + datetime.timedelta(days=1)),
                    festival.name,
                )
    except ValueError:
        pass
    raise ValueError(f"unknown period: {period!r}")


QUARTERS = {1: _("1er trimestre"), 2: _("2e trimestre"), 3: _("3e trimestre"), 4: _("4e trimestre")}


def period_choices(*, network, today: datetime.date) -> list[tuple[str, list[tuple[str, str]]]]:
    """What the period picker offers: the network's festivals, the months around today, the quarters
    and years; each value is one `period_bounds` reads."""
    festivals = [(f"festival:{f.slug}", f.name) for f in network.festivals.order_by("-starts_on")]
    months = []
    for back in range(-2, 13):  # two months ahead (pre-sales), a year back
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        first = datetime.date(year, month + 1, 1)
        months.append((f"{first:%Y-%m}", formats.date_format(first, "YEAR_MONTH_FORMAT").capitalize()))
    quarter = (today.month - 1) // 3 + 1
    quarters = []
    for back in range(0, 5):
        year, q = divmod(today.year * 4 + quarter - 1 - back, 4)
        quarters.append((f"{year}-Q{q + 1}", f"{QUARTERS[q + 1]} {year}"))
    years = [(str(y), str(y)) for y in range(today.year, today.year - 3, -1)]
    groups = [
        (_("Festivals"), festivals),
        (_("Mois"), months),
        (_("Trimestres"), quarters),
        (_("Années"), years),
    ]
    return [(label, options) for label, options in groups if options]


def _partners(products: list[PassProduct]) -> dict[int, list[int]]:
    partners = {}
    for product in products:
        chosen = [o.pk for o in product.organizers.all()]
        if not chosen and product.network_id:
            chosen = list(
                NetworkMembership.objects.filter(network_id=product.network_id).values_list(
                    "organizer_id", flat=True
                )
            )
        partners[product.pk] = chosen
    return partners


def network_lines(*, network, start, end, now=None) -> tuple[list[Line], int]:
    """The lines of the network's passes recognised in [start, end), and how many passes are concerned."""
    now = now or timezone.now()
    holdings = list(
        PassHolding.objects.filter(
            product__network=network,
            state=PassHolding.State.ACTIVE,
            order__paid_at__lt=end,
            valid_until__gte=start,
        ).select_related("product", "order")
    )
    products = {h.product_id: h.product for h in holdings}
    partners = _partners(list(products.values()))
    used: dict[int, list[UsedEntry]] = defaultdict(list)
    for row in PassEntry.objects.filter(
        holding__in=[h.pk for h in holdings], state=PassEntry.State.BOOKED
    ).values_list(
        "holding_id",
        "organizer_id",
        "performance_id",
        "performance__starts_at",
        "ticket__number",
        "ticket_id",
    ):
        used[row[0]].append(UsedEntry(*row[1:]))
    lines = []
    for holding in holdings:
        for line in holding_lines(
            holding=holding,
            product=products[holding.product_id],
            entries=used[holding.pk],
            partner_ids=partners[holding.product_id],
            paid_at=holding.order.paid_at,
            now=now,
        ):
            if start <= line.at < end:
                lines.append(line)
    return lines + on_behalf_lines(network=network, start=start, end=end), len(holdings)


def on_behalf_lines(*, network, start, end) -> list[Line]:
    """The tickets the network's seller sold online for its members, for performances in [start, end)."""

    if not network.ticket_seller_id:
        return []
    seller, percent = network.ticket_seller_id, network.ticket_commission_percent
    tickets = (
        Ticket.objects.filter(
            order__organizer_id=seller,
            order__state__in=[OrderState.PAID, OrderState.PARTIALLY_REFUNDED],
            state=TicketState.VALID,
            performance__starts_at__gte=start,
            performance__starts_at__lt=end,
        )
        .exclude(organizer_id=seller)
        .values_list(
            "organizer_id", "price", "vat_rate", "performance_id", "performance__starts_at", "number"
        )
        .order_by("performance__starts_at", "pk")
    )
    lines = []
    for organizer_id, price, rate, performance_id, starts_at, number in tickets:
        commission = (price * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if commission:
            lines.append(
                Line(
                    0, seller, "commission", commission, rate, starts_at, performance_id, number, organizer_id
                )
            )
        if price - commission:
            lines.append(
                Line(0, organizer_id, "ticket", price - commission, rate, starts_at, performance_id, number)
            )
    return lines


def _fill(row: StatementRow, lines: list[Line]) -> StatementRow:
    by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        row.lines.append(line)
        row.total += line.amount
        by_rate[line.vat_rate] += line.amount
        if line.kind == "entry":
            row.entries += 1
            row.entries_amount += line.amount
        elif line.kind == "ticket":
            row.tickets += 1
            row.tickets_amount += line.amount
            row.tickets_gross += line.amount
        elif line.kind == "equal":
            row.equal_amount += line.amount
        elif line.kind == "unused":
            row.unused_amount += line.amount
        else:
            row.commission += line.amount
    for rate, amount in by_rate.items():
        excl, tax = vat_split(amount, rate)
        row.excl_tax += excl
        row.tax += tax
    return row


def statement_build(*, network, start, end, now=None) -> Statement:
    """One row per organizer that receives something in the period, then the total."""

    lines, passes = network_lines(network=network, start=start, end=end, now=now)
    by_organizer: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        by_organizer[line.organizer_id].append(line)
    withheld: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        if line.withheld_from is not None:
            withheld[line.withheld_from].append(line)
    organizers = Organizer.objects.in_bulk(list(by_organizer.keys() | withheld.keys()))
    rows = []
    for pk in by_organizer.keys() | withheld.keys():
        row = StatementRow(pk, organizers[pk].name, organizers[pk].siret)
        _fill(row, sorted(by_organizer[pk], key=lambda x: x.at))
        for line in withheld[pk]:  # a ticket's price is its part plus the commission taken from it
            row.tickets_withheld += line.amount
            row.tickets_gross += line.amount
        rows.append(row)
    rows.sort(key=lambda r: r.name)
    total = StatementRow(0, "TOTAL")
    for row in rows:
        for name in (
            "entries",
            "entries_amount",
            "tickets",
            "tickets_gross",
            "tickets_withheld",
            "tickets_amount",
            "equal_amount",
            "unused_amount",
            "commission",
            "total",
        ):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.excl_tax += row.excl_tax
        total.tax += row.tax
    return Statement(network, start, end, rows, total, passes)


def statement_csv(statement: Statement) -> str:
    """The statement as CSV (semicolons, for French spreadsheets): one line per organizer, then the total."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(
        [
            "structure",
            "siret",
            "entrees",
            "part_entrees_ttc",
            "part_egale_ttc",
            "entrees_non_utilisees_ttc",
            "billets_vendus_pour_compte",
            "billets_brut_ttc",
            "commission_retenue_ttc",
            "billets_net_ttc",
            "commission_percue_ttc",
            "total_ht",
            "tva",
            "total_ttc",
        ]
    )
    for row in [*statement.rows, statement.total]:
        writer.writerow(
            [
                row.name,
                row.siret,
                row.entries,
                row.entries_amount,
                row.equal_amount,
                row.unused_amount,
                row.tickets,
                row.tickets_gross,
                row.tickets_withheld,
                row.tickets_amount,
                row.commission,
                row.excl_tax,
                row.tax,
                row.total,
            ]
        )
    return out.getvalue()


def _earlier_ticket_at_venue():
    """For a pass entry: a ticket of the same person (e-mail) at the same venue, for an earlier date."""

    return Ticket.objects.filter(
        order__email=OuterRef("holding__email"),
        performance__venue=OuterRef("venue_id"),
        performance__starts_at__lt=OuterRef("performance__starts_at"),
        state__in=[TicketState.VALID, TicketState.EXCHANGED],
    )


def discovery(*, network, start, end) -> list[dict]:
    """Per venue: entries booked with the network's passes for performances in the period, how many were
    the holder's first visit to that venue (no earlier ticket of theirs there), and how many were scanned."""

    earlier = _earlier_ticket_at_venue()
    entries = (
        PassEntry.objects.filter(
            holding__product__network=network,
            state=PassEntry.State.BOOKED,
            performance__starts_at__gte=start,
            performance__starts_at__lt=end,
        )
        .annotate(
            returning=Exists(earlier),
            scanned=Exists(Presence.objects.filter(ticket=OuterRef("ticket_id"))),
        )
        .values_list("venue_id", "venue__name", "venue__town", "returning", "scanned")
    )
    rows: dict[int, dict] = {}
    for venue_id, name, town, returning, scanned in entries:
        row = rows.setdefault(
            venue_id, {"venue": name, "town": town, "entries": 0, "first_visits": 0, "scanned": 0}
        )
        row["entries"] += 1
        row["first_visits"] += not returning
        row["scanned"] += scanned
    return sorted(rows.values(), key=lambda r: (-r["first_visits"], r["venue"]))


def holders_discovering(*, network, start, end) -> int:
    """How many distinct pass holders entered at least one venue for the first time in the period."""
    earlier = _earlier_ticket_at_venue()
    return (
        PassEntry.objects.filter(
            holding__product__network=network,
            state=PassEntry.State.BOOKED,
            performance__starts_at__gte=start,
            performance__starts_at__lt=end,
        )
        .exclude(Exists(earlier))
        .values("holding__email")
        .distinct()
        .count()
    )
