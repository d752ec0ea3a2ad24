"""The declarations' demo: the theatre's counter on several days of the last quarter, with its till
opened and closed each day (sales in cash, by card and cheque, a refund, a gift voucher), two evenings of
« Voltige » (circus: its tax body left to decide) and one of « Les Bonnes » (ASTP, confirmed) that took
place; a jazz club without SIRET whose concert of that quarter is sold online (CNM); half the clubs with a
SIRET; a counter day last month for this season's dates. Then, as the nightly tasks would: the daily
revenue statements of the dates that took place, the Z closures of the till's days, and the club's
self-billed invoice to the network's association, which sold its concert in its own name, the credit note
for a ticket refunded afterwards, and the association's payment of both.

The past is made as it would have happened: the clock is set back while it is made (`_clock`), so the
dates were on sale when sold and the till's journal is chained in the order of its days."""

import contextlib
import datetime
import itertools
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.utils import timezone

from parvis.boxoffice import journal
from parvis.boxoffice import services as counter
from parvis.boxoffice.models import CashDrawer, JournalHead, TillSession
from parvis.boxoffice.product_sales import voucher_sell
from parvis.boxoffice.till import CounterPayment
from parvis.declarations import self_billing, self_billing_paid, sibil, statements
from parvis.declarations.models import EventTax, TaxBody
from parvis.network.models import Organizer
from parvis.programming.models import Event, Performance
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart, Tariff, Ticket

from .base import new_performance, paris_at
from .products import THEATRE_TARIFFS, _tariffs_for


@contextlib.contextmanager
def _clock(start: datetime.datetime):
    """Time as it was from `start`, going on a few seconds at each reading."""
    ticks = itertools.count()
    with mock.patch.object(timezone, "now", lambda: start + datetime.timedelta(seconds=20 * next(ticks))):
        yield


def demo_declarations(*, theatre, jazz) -> None:
    if TillSession.objects.filter(organizer=theatre).exists():
        return  # made by an earlier run
    seller = get_user_model().objects.get(username="box-office@theatre-du-parvis.example")
    drawer = CashDrawer.objects.get(organizer=theatre, name="Accueil")
    year, quarter = sibil.quarter_of(timezone.now())
    year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    first_day = sibil.quarter_bounds(year, quarter)[0].date() + datetime.timedelta(days=40)
    club = _clubs(jazz)
    with _clock(paris_at(first_day, 13)):
        voltige = [_past_date(theatre, "Voltige", first_day + datetime.timedelta(days=d)) for d in (9, 10)]
        bonnes = _past_date(theatre, "Les Bonnes", first_day + datetime.timedelta(days=11))
        concert = _club_concert(club, first_day + datetime.timedelta(days=12))
    for n, day in enumerate(
        (first_day, first_day + datetime.timedelta(days=4), first_day + datetime.timedelta(days=8))
    ):
        with _clock(paris_at(day, 14)):
            _counter_day(seller, drawer, voltige + [bonnes], n)
    coming = list(
        Performance.objects.filter(organizer=theatre, starts_at__gt=timezone.now(), event__title="Les Bonnes")
        .exclude(status="sold_out")
        .order_by("starts_at")[:2]
    )
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=12)
    if coming:
        with _clock(paris_at(last_month, 15)):
            _counter_day(seller, drawer, coming, 3)
    EventTax.objects.get_or_create(event=bonnes.event, defaults={"body": TaxBody.ASTP})
    EventTax.objects.get_or_create(event=concert.event, defaults={"body": TaxBody.CNM})
    for organizer in (theatre, club):
        statements.statements_due(organizer)
    jazz.refresh_from_db()
    if jazz.ticket_seller_id:  # the association sold the club's concert in its own name: its invoice
        _self_billed(jazz, concert)
    for chain in JournalHead.objects.filter(organizer_id=theatre.pk).values_list("chain", flat=True):
        journal.closures_generate(theatre, chain)


def _clubs(jazz):
    """Half the clubs get a SIRET; the club returned, without one, is the SIBIL review's to fix."""
    clubs = list(
        Organizer.objects.filter(network_memberships__network=jazz, venues__slug="club").order_by("slug")
    )
    for n, club in enumerate(clubs):
        if n % 2 == 0 and not club.siret:
            type(club).objects.filter(pk=club.pk).update(siret=f"{88000000000000 + 137 * n:014d}")
    return clubs[1]


def _past_date(theatre, title: str, day: datetime.date) -> Performance:
    event = Event.objects.get(organizer=theatre, title=title)
    model = Performance.objects.filter(event=event).order_by("starts_at").first()
    performance = new_performance(event, model.venue, paris_at(day, 20), 100, space=model.space)
    performance.save()
    _tariffs_for(performance, THEATRE_TARIFFS)
    return performance


def _club_concert(club, day: datetime.date) -> Performance:
    event = Event.objects.create(
        organizer=club, title="Trio Nocturne", slug="trio-nocturne-demo", genre="jazz",
        artists="Trio Nocturne", description="Concert du trimestre dernier.", status="published",
    )  # fmt: skip
    venue = club.venues.order_by("pk").first()
    performance = new_performance(event, venue, paris_at(day, 21), 90)
    performance.save()
    tariff = sales.tariff_create(actor=None, performance=performance, name="Plein tarif", price=Decimal("15"))
    for n in range(6):
        cart = Cart.objects.create()
        sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=2)
        buyer = sales.Buyer(email=f"club-{n}@trimestre.example", first_name="Public", last_name=str(n))
        for order in sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo", notify=False):
            sales.payment_confirm(payment_id=order.payments.get().pk)
    return performance


def _counter_day(seller, drawer, performances: list[Performance], n: int) -> None:
    """A till session: a few sales by each method, a refund the second day, a gift voucher the third;
    closed with the cash counted."""
    session = counter.session_open(actor=seller, drawer=drawer, opening_float=Decimal("150"))
    methods = ("cash", "card_terminal", "cheque", "card_terminal", "cash")
    for k, method in enumerate(methods):
        performance = performances[(k + n) % len(performances)]
        tariffs = list(
            Tariff.objects.filter(performance=performance, kind__in=["full", "reduced", "youth"]).order_by(
                "-price"
            )
        )
        counter.basket_add(session=session, tariff_id=tariffs[k % len(tariffs)].pk, quantity=1 + k % 3)
        total = counter.basket_total(session)
        counter.sale(session=session, actor=seller, payments=[CounterPayment(method, total)])
    if n == 1:
        ticket = performances[0].tickets.filter(state="valid").order_by("number").first()
        counter.refund(session=session, actor=seller, tickets=[ticket], reason="Empêchement")
    if n == 2:
        voucher_sell(session=session, actor=seller, value=Decimal("40"), method="card_terminal")
    counter.session_close(session=session, actor=seller, counted_cash=counter.expected_cash(session))


def _self_billed(jazz, concert: Performance) -> None:
    local = timezone.localtime(concert.starts_at)
    documents = self_billing.issue_month(jazz, local.year, local.month)
    refused = Ticket.objects.filter(performance=concert, state="valid").order_by("pk").first()
    if refused is not None:  # refunded after the invoice: the settlement moves, a credit note follows
        sales.tickets_refund(tickets=[refused], reason="Souffrant, remboursé après la date")
        documents += self_billing.correct_month(jazz, local.year, local.month)
    for document in documents:  # the association pays the club (and deducts the credit note) today
        self_billing_paid.payment_record(invoice=document, paid_on=timezone.localdate())
