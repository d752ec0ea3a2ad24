"""Every declaration's figures against an independent computation on generated data: online and counter
sales at several VAT rates, free tickets, a pass used twice, a subscription, a refund with a kept fee, a
counter exchange, a date cancelled with counter sales (refunds due, then paid out at the till), a counter
gift voucher sold then spent, a performance at 00:30 on a quarter's first day and one the evening before;
then the money reconciled to the cent between payments, the till's journal, the accounting feed and the
VAT report."""

import datetime
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from parvis.boxoffice import services as counter
from parvis.boxoffice.models import EntryKind, JournalEntry
from parvis.boxoffice.product_sales import voucher_sell
from parvis.boxoffice.till import CounterPayment
from parvis.declarations import fec, show_tax, sibil, statements, vat
from parvis.declarations.models import EventTax, TaxBody
from parvis.declarations.revenue import valid_sold
from parvis.memberships.models import SubscriptionOffer
from parvis.memberships.subscriptions import subscription_order_place
from parvis.network.models import Role
from parvis.passes.services import pass_book
from parvis.passes.tests.factories import bought_pass, club, concert, pass_product
from parvis.programming.models import Genre, Performance
from parvis.testing import staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart, Payment, Tariff, Ticket
from parvis.ticketing.tests.factories import buyer, tariff
from parvis.ticketing.vouchers import Voucher

from .fec_check import check

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
COUNTER = ("cash", "card_terminal", "cheque")


def _online(tariffs, rng, n):
    for k in range(n):
        cart = Cart.objects.create()
        for chosen in rng.sample(tariffs, 2):
            sales.cart_add(cart=cart, tariff_id=chosen.pk, quantity=rng.randint(1, 3))
        for order in sales.checkout_place_orders(
            cart=cart, buyer=buyer(email=f"b{k}@example.org"), provider_code="demo"
        ):
            if order.state == "pending":
                sales.payment_confirm(payment_id=order.payments.get(state="created").pk)


def _counter_sale(session, seller, tariff_obj, quantity, method):
    counter.basket_add(session=session, tariff_id=tariff_obj.pk, quantity=quantity)
    counter.sale(
        session=session, actor=seller, payments=[CounterPayment(method, counter.basket_total(session))]
    )


@pytest.fixture
def season(network):
    rng = random.Random(31)
    organizer = club(network, "club-reco")
    organizer.siret = "12345678900011"
    organizer.save()
    jazz = concert(organizer, days=5, price="20.00", genre=Genre.JAZZ, title="Nuit bleue")
    play = concert(organizer, days=6, price="25.00", genre=Genre.THEATRE, title="Les Bonnes")
    gone = concert(organizer, days=7, price="30.00", genre=Genre.JAZZ, title="Annulé")
    Tariff.objects.filter(performance=play).update(vat_rate=Decimal("2.10"))  # a creation's first run
    tariffs = [
        Tariff.objects.get(performance=jazz), Tariff.objects.get(performance=play),
        tariff(jazz, name="Réduit", price="12.00", kind="reduced"),
        tariff(jazz, name="Avec consommation", price="28.00", vat_rate=Decimal("20.00")),
        tariff(play, name="Invitation", price="0.00", kind="exonerated"),
    ]  # fmt: skip
    _online(tariffs, rng, 6)
    holding = bought_pass(pass_product(organizer, network))
    for performance in (jazz, play):
        pass_book(holding=holding, performance_id=performance.pk)
    now = timezone.now()
    offer = SubscriptionOffer.objects.create(
        organizer=organizer, name="Abonnement", min_shows=1,
        season_starts=now - datetime.timedelta(days=1), season_ends=now + datetime.timedelta(days=30),
    )  # fmt: skip
    tariff(play, name="Abonné", price="18.00", kind="subscriber", vat_rate=Decimal("2.10"))
    subscription = subscription_order_place(
        offer=offer, buyer=buyer(email="abo@example.org"), performance_ids=[play.pk], provider_code="demo"
    )
    if subscription.state == "pending":
        sales.payment_confirm(payment_id=subscription.payments.get(state="created").pk)

    seller = staff(organizer, Role.BOX_OFFICE, username="guichet@example.org")
    drawer = counter.drawer_create(actor=seller, organizer=organizer, name="Accueil")
    session = counter.session_open(actor=seller, drawer=drawer, opening_float=Decimal("100"))
    for k, method in enumerate(("cash", "card_terminal", "cheque", "cash")):
        _counter_sale(session, seller, tariffs[k % 3], 1 + k % 2, method)
    _counter_sale(session, seller, Tariff.objects.get(performance=gone), 2, "cash")
    _counter_sale(session, seller, Tariff.objects.get(performance=gone), 1, "card_terminal")
    voucher, _entry = voucher_sell(session=session, actor=seller, value=Decimal("30"), method="cash")
    cart = Cart.objects.create()
    sales.cart_add(cart=cart, tariff_id=tariffs[1].pk, quantity=1)
    sales.checkout_place_orders(
        cart=cart, buyer=buyer(email="bon@example.org"), provider_code="demo", voucher_code=voucher.code
    )
    online = Ticket.objects.filter(order__channel="online", price__gt=0, state="valid").order_by("pk")
    sales.tickets_refund(tickets=[online[0]], reason="Malade", fee_per_ticket=Decimal("2.00"))
    at_counter = (
        Ticket.objects.filter(order__channel="box_office", performance=jazz, state="valid")
        .order_by("pk")
        .first()
    )
    counter.exchange(session=session, actor=seller, ticket=at_counter, tariff_id=tariffs[1].pk, method="cash")
    sales.performance_cancel(actor=None, performance=gone, reason="Artiste malade")
    for due in counter.refunds_due(organizer):
        counter.refund_pay_out(session=session, actor=seller, payment_id=due.pk, method="cash")
    counter.session_close(session=session, actor=seller, counted_cash=counter.expected_cash(session))
    # The evening before a quarter and 00:30 on its first day (Paris): Q3 and Q4.
    Performance.objects.filter(pk=play.pk).update(
        starts_at=datetime.datetime(2026, 9, 30, 23, 30, tzinfo=sibil.PARIS)
    )
    Performance.objects.filter(pk=jazz.pk).update(
        starts_at=datetime.datetime(2026, 10, 1, 0, 30, tzinfo=sibil.PARIS)
    )
    dates = {"jazz": jazz, "play": play, "gone": gone}
    return (
        organizer,
        {k: Performance.objects.get(pk=p.pk) for k, p in dates.items()},
        Voucher.objects.get(pk=voucher.pk),
    )


def _independent(performance):
    """The figures from the tickets, read again here."""
    figures = {
        "tickets": 0,
        "revenue": Decimal(0),
        "paying": 0,
        "free": 0,
        "pass_sub": 0,
        "by_rate": defaultdict(Decimal),
    }
    for ticket in Ticket.objects.filter(performance=performance, state="valid"):
        entry = getattr(ticket, "pass_entry", None)
        amount = (entry.holding.price / entry.holding.entries).quantize(CENT) if entry else ticket.price
        rate = entry.holding.vat_rate if entry else ticket.vat_rate
        figures["tickets"] += 1
        figures["revenue"] += amount
        figures["paying"] += amount > 0
        figures["free"] += ticket.price == 0 and entry is None
        figures["pass_sub"] += entry is not None or ticket.order.subscription_id is not None
        figures["by_rate"][rate] += amount
    figures["base"] = sum(
        ((g * 100 / (100 + r)).quantize(CENT, rounding=ROUND_HALF_UP) for r, g in figures["by_rate"].items()),
        Decimal(0),
    )
    return figures


def test_every_figure_against_an_independent_computation(season):
    organizer, dates, _voucher = season
    assert sibil.quarter_of(dates["play"].starts_at) == (2026, 3) and sibil.quarter_of(
        dates["jazz"].starts_at
    ) == (2026, 4)
    for key in ("jazz", "play"):
        performance = Performance.objects.get(pk=dates[key].pk)
        mine = _independent(performance)
        row = sibil.performance_row(performance)
        assert (row.tickets, row.revenue, row.paying, row.free, row.subscription_pass) == (
            mine["tickets"], mine["revenue"], mine["paying"], mine["free"], mine["pass_sub"]
        ), key  # fmt: skip
        EventTax.objects.update_or_create(event=performance.event, defaults={"body": TaxBody.CNM})
        taxed = show_tax.tax_row(
            performance,
            TaxBody.CNM,
            None,
            False,
            valid_sold([performance.pk])[performance.pk],
        )
        assert taxed.base == mine["base"] and taxed.due == (mine["base"] * Decimal("0.035")).quantize(CENT)
        _lines, totals = statements.figures(performance)
        assert Decimal(totals["revenue"]) == mine["revenue"]
        assert totals["issued"] == Ticket.objects.filter(performance=performance).count()
        assert (
            totals["cancelled"]
            == Ticket.objects.filter(performance=performance).exclude(state="valid").count()
        )
    assert _independent(dates["gone"])["tickets"] == 0  # cancelled: every ticket refunded
    assert len({Decimal(r) for r in Ticket.objects.values_list("vat_rate", flat=True)}) >= 3


def test_the_money_agrees_between_payments_till_feed_and_vat(season):
    organizer, _dates, voucher = season
    today = timezone.localdate()
    lines = check(fec.file_name(organizer, today), fec.feed_text(fec.feed_rows(organizer, today, today)))
    accounts = fec.chart(organizer)
    journal = defaultdict(Decimal)
    for methods in JournalEntry.objects.filter(
        organizer_id=organizer.pk, kind__in=[EntryKind.SALE, EntryKind.REFUND, EntryKind.EXCHANGE]
    ).values_list("methods", flat=True):
        for method, amount in methods.items():
            journal[method] += Decimal(amount)
    for method in COUNTER:
        payments = Payment.objects.filter(order__organizer=organizer, provider=method)
        paid = sum(
            payments.filter(state__in=["confirmed", "refunded"]).exclude(confirmed_at=None)
            .values_list("amount", flat=True), Decimal(0),
        )  # fmt: skip
        number = accounts[f"pay:{method}"][0]
        code = fec.JOURNALS[method][0]
        fed = sum(
            (
                x["debit"] - x["credit"]
                for x in lines
                if x["CompteNum"] == number and x["JournalCode"] == code
            ),
            Decimal(0),
        )
        assert journal[method] == paid == fed, (method, journal[method], paid, fed)
    assert not Payment.objects.filter(order__organizer=organizer, state="refund_due").exists()
    report = vat.report(organizer, *fec.period_bounds(today, today))
    assert sum((line.gross for line in report.lines), Decimal(0)) == (
        report.taken - report.given_back - report.vouchers_sold - report.donations
    )
    assert report.vouchers_sold == Decimal("30.00")
    assert sum((line.vat for line in report.lines), Decimal(0)) == sum(
        (x["credit"] - x["debit"] for x in lines if x["CompteNum"] == accounts["vat"][0]), Decimal(0)
    )
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("5.00")  # 30 € less the 25 € evening it paid
