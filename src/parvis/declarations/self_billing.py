"""A network that sells its members' tickets and passes in its own name is an opaque intermediary (CGI
256 V, 266-1-b): its seller owes VAT on the full price, and each member owes VAT on what it invoices the
seller. Those invoices are made by the seller in each member's name (autofacturation, CGI 289-I-2), once a
month is over, from the settlement's own lines, so they agree with it to the cent: per member and seller,
the lines the settlement gives the member (tickets sold on its behalf less the commission, pass entries,
equal and unused shares), summed per VAT rate and split once per rate.

An invoice is never changed. When a month's settlement moves after its invoice was made (a ticket of that
month refunded later, an entry recorded late), `correct_month` issues the difference per VAT rate as a
document of its own in the member's series: a credit note (avoir) when the member is owed less, a
corrective invoice when more, each referring to the month's invoice. The month's documents then add up to
the settlement again, to the cent."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from parvis.core.money import vat_split
from parvis.network.models import Organizer
from parvis.passes.models import PassHolding
from parvis.passes.settlements import network_lines

from .models import SelfBillingInvoice

RECEIVED = ("ticket", "entry", "equal", "unused")


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=zone)
    return start, datetime.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)


def drafts(network, year: int, month: int) -> dict[tuple[int, int], dict]:
    """Per (seller, member): the amounts per VAT rate and per kind of the month's settlement lines."""
    lines, _passes = network_lines(
        network=network, start=month_bounds(year, month)[0], end=month_bounds(year, month)[1]
    )
    sellers = dict(
        PassHolding.objects.filter(pk__in={line.holding_id for line in lines if line.holding_id}).values_list(
            "pk", "product__organizer_id"
        )
    )
    found: dict[tuple[int, int], dict] = defaultdict(
        lambda: {"rates": defaultdict(Decimal), "kinds": defaultdict(Decimal)}
    )
    for line in lines:
        if line.kind not in RECEIVED:
            continue
        seller = sellers.get(line.holding_id) if line.holding_id else network.ticket_seller_id
        if seller is None or seller == line.organizer_id:
            continue
        draft = found[(seller, line.organizer_id)]
        draft["rates"][line.vat_rate] += line.amount
        draft["kinds"][line.kind] += line.amount
    return dict(found)


def _lines(rates: dict[Decimal, Decimal]) -> list[list[str]]:
    rows = []
    for rate, incl in sorted(rates.items()):
        excl, vat = vat_split(incl, rate)
        rows.append([str(rate), str(excl), str(vat), str(incl)])
    return rows


def issue_month(network, year: int, month: int, *, now=None) -> list[SelfBillingInvoice]:
    """The month's invoices not made yet (only once the month is over). Idempotent."""
    now = now or timezone.now()
    if month_bounds(year, month)[1] > now:
        return []
    period = f"{year}-{month:02d}"
    made = []
    for (seller, organizer_id), draft in sorted(drafts(network, year, month).items()):
        if SelfBillingInvoice.objects.filter(
            network=network, seller_id=seller, organizer_id=organizer_id, period=period
        ).exists():
            continue
        lines = _lines(draft["rates"])
        if not lines or not sum(Decimal(row[3]) for row in lines):
            continue
        try:
            with transaction.atomic():
                Organizer.objects.select_for_update().filter(pk=organizer_id).first()  # one number at a time
                made.append(_create(network, seller, organizer_id, period, lines, draft["kinds"]))
        except IntegrityError:  # made by a concurrent run
            continue
    return made


def correct_month(network, year: int, month: int) -> list[SelfBillingInvoice]:
    """For each month's invoice whose settlement has moved since: the difference per VAT rate, as a credit
    note or a corrective invoice. Idempotent: once made, the month's documents agree with the settlement."""
    period = f"{year}-{month:02d}"
    found = SelfBillingInvoice.objects.filter(network=network, period=period, corrects__isnull=True)
    originals = {(invoice.seller_id, invoice.organizer_id): invoice for invoice in found}
    if not originals:
        return []
    now = drafts(network, year, month)
    made = []
    for key, original in sorted(originals.items()):
        with transaction.atomic():
            Organizer.objects.select_for_update().filter(pk=original.organizer_id).first()
            issued: dict[Decimal, Decimal] = defaultdict(Decimal)
            kinds: dict[str, Decimal] = defaultdict(Decimal)
            for document in [original, *original.corrections.all()]:
                for rate, _excl, _vat, incl in document.lines:
                    issued[Decimal(rate)] += Decimal(incl)
                for kind, amount in document.kinds.items():
                    kinds[kind] += Decimal(amount)
            current = now.get(key, {"rates": {}, "kinds": {}})
            difference = {
                rate: current["rates"].get(rate, Decimal(0)) - issued.get(rate, Decimal(0))
                for rate in {*issued, *current["rates"]}
            }
            difference = {rate: amount for rate, amount in difference.items() if amount}
            if not difference:
                continue
            moved = {
                kind: current["kinds"].get(kind, Decimal(0)) - kinds.get(kind, Decimal(0))
                for kind in {*kinds, *current["kinds"]}
            }
            made.append(
                _create(network, original.seller_id, original.organizer_id, period, _lines(difference),
                        {k: v for k, v in moved.items() if v}, corrects=original)
            )  # fmt: skip
    return made


def _create(network, seller, organizer_id, period, lines, kinds, corrects=None) -> SelfBillingInvoice:
    sequence = SelfBillingInvoice.objects.filter(organizer_id=organizer_id).count() + 1
    return SelfBillingInvoice.objects.create(
        corrects=corrects,
        network=network,
        seller_id=seller,
        organizer_id=organizer_id,
        period=period,
        number=f"AF-{organizer_id}-{sequence:05d}",
        lines=lines,
        kinds={kind: str(amount) for kind, amount in kinds.items()},
        total_excl=sum(Decimal(row[1]) for row in lines),
        total_vat=sum(Decimal(row[2]) for row in lines),
        total=sum(Decimal(row[3]) for row in lines),
    )


def invoiced_by(organizer, first: datetime.date, last: datetime.date) -> list[SelfBillingInvoice]:
    """The member's invoices to networks for the months of [first, last]: VAT it owes on them."""
    periods = set()
    day = first.replace(day=1)
    while day <= last:
        periods.add(f"{day.year}-{day.month:02d}")
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return list(
        SelfBillingInvoice.objects.filter(organizer=organizer, period__in=periods)
        .select_related("seller", "corrects")
        .prefetch_related("payments")
        .order_by("period", "pk")
    )
