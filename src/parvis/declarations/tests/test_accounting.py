"""The accounting feed (FEC format) and the VAT report on encaissement: a day of online and counter sales,
an add-on, a donation, a gift voucher sold at the counter then spent, a refund with a kept fee, and a
refund still due at the counter; every line checked by an independent reading of the format, every
account reconciled to the cent with payments; the chart of accounts and who may change it."""

import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.declarations import fec, vat
from parvis.declarations.models import AccountMapping
from parvis.network.models import Role
from parvis.passes.tests.factories import club, concert
from parvis.testing import login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart, Channel, Payment, Product, Tariff
from parvis.ticketing.tests.factories import buyer
from parvis.ticketing.voucher_sales import voucher_counter_order
from parvis.ticketing.vouchers import Voucher

from .fec_check import balance, check

pytestmark = pytest.mark.django_db


def _order(tariff, quantity=1, *, provider="demo", channel=Channel.ONLINE, **checkout):
    cart = Cart.objects.create(channel=channel)
    sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=quantity, channel=channel)
    [order] = sales.checkout_place_orders(cart=cart, buyer=buyer(), provider_code=provider, **checkout)
    for payment in order.payments.filter(state="created"):
        sales.payment_confirm(payment_id=payment.pk)
    order.refresh_from_db()
    return order


@pytest.fixture
def day(network):
    organizer = club(network, "club-compta")
    organizer.siret = "12345678900011"
    organizer.accepts_donations = True
    organizer.save()
    performance = concert(organizer, days=5, price="20.00")  # 5.5 %
    full = Tariff.objects.get(performance=performance)
    programme = Product.objects.create(organizer=organizer, name="Programme", price=Decimal("6.00"))  # 20 %
    online = _order(
        full, 2, extras={organizer.pk: [(programme.pk, 1)]}, donations={organizer.pk: Decimal("5.00")}
    )
    counter = _order(
        full,
        provider="box_office",
        channel=Channel.BOX_OFFICE,
        counter_payments=[("cash", Decimal("20"), "")],
    )
    gift = voucher_counter_order(
        organizer=organizer,
        value=Decimal("30"),
        buyer=buyer(),
        counter_payments=[("cash", Decimal("30"), "")],
    )
    voucher = Voucher.objects.get(order=gift)
    spent = _order(full, voucher_code=voucher.code)
    sales.tickets_refund(tickets=[online.tickets.first()], reason="Malade", fee_per_ticket=Decimal("2.00"))
    sales.tickets_refund(tickets=[counter.tickets.get()], reason="Date changée")  # due at the counter
    return organizer, {"online": online, "counter": counter, "gift": gift, "spent": spent}


def test_the_feed_follows_the_format_and_reconciles_with_the_payments(day):
    organizer, orders = day
    assert orders["online"].total == Decimal("51.00") and orders["spent"].payments.get().provider == "voucher"
    today = timezone.localdate()
    name = fec.file_name(organizer, today)
    assert name == f"123456789FEC{today:%Y%m%d}.txt"
    lines = check(name, fec.feed_text(fec.feed_rows(organizer, today, today)))
    assert {line["JournalCode"] for line in lines} == {"OD", "CA", "BC"}  # demo, cash, voucher
    # Each means of payment: what the payments say, counted apart from the feed.
    journals = {"demo": "OD", "cash": "CA", "voucher": "BC"}
    for account, method in (("471000", "demo"), ("530000", "cash"), ("419100", "voucher")):
        paid = sum(
            Payment.objects.filter(order__organizer=organizer, provider=method)
            .filter(state__in=["confirmed", "refunded"])
            .exclude(confirmed_at=None)
            .values_list("amount", flat=True),
            Decimal(0),
        )
        money_side = [x for x in lines if x["CompteNum"] == account and x["JournalCode"] == journals[method]]
        assert -balance(money_side, account) == paid, method
    assert paid == Decimal("20.00")  # the voucher spent
    # 2 × 20 − 18 (refund, 2 € fee kept) + 20 (counter) + 20 (paid by the voucher), each split on its own
    assert balance(lines, "706100") == Decimal("37.91") - Decimal("17.06") + Decimal("18.96") + Decimal(
        "18.96"
    )
    assert balance(lines, "707000") == Decimal("5.00")  # 6 € at 20 %
    assert balance(lines, "754100") == Decimal("5.00")  # the donation, outside VAT
    vat_lines = [line for line in lines if line["CompteNum"] == "445710"]
    assert {line["CompteLib"] for line in vat_lines} == {"TVA collectée 5,5 %", "TVA collectée 20 %"}
    assert balance(lines, "445710") == Decimal("3.23") + Decimal("1.00")
    # The voucher: 30 € owed to its holder when sold, 20 € of it spent: 10 € still owed.
    assert balance(lines, "419100") == Decimal("10.00")

    report = vat.report(organizer, *fec.period_bounds(today, today))
    assert [(line.rate, line.vat) for line in report.lines] == [
        (Decimal("5.50"), Decimal("3.23")), (Decimal("20.00"), Decimal("1.00"))
    ]  # fmt: skip
    assert (report.vouchers_sold, report.donations) == (Decimal("30.00"), Decimal("5.00"))
    assert report.taken == Decimal("121.00") and report.given_back == Decimal("18.00")


def test_a_broken_feed_is_caught_by_the_checker(day):
    organizer, _orders = day
    today = timezone.localdate()
    rows = fec.feed_rows(organizer, today, today)
    name = fec.file_name(organizer, today)
    unbalanced = [row[:] for row in rows]
    unbalanced[1][11] = "99,99" if unbalanced[1][11] != "0,00" else unbalanced[1][11]
    unbalanced[1][12] = "99,99" if unbalanced[1][12] != "0,00" else unbalanced[1][12]
    with pytest.raises(AssertionError):
        check(name, fec.feed_text(unbalanced))
    dotted = [row[:] for row in rows]
    dotted[2][11], dotted[2][12] = dotted[2][11].replace(",", "."), dotted[2][12].replace(",", ".")
    with pytest.raises(AssertionError):
        check(name, fec.feed_text(dotted))
    with pytest.raises(AssertionError):
        check("FEC.txt", fec.feed_text(rows))


def test_a_refund_due_at_the_counter_counts_the_day_it_is_paid_out(day):
    organizer, orders = day
    today = timezone.localdate()
    due = orders["counter"].payments.get(state="refund_due")
    before = vat.report(organizer, *fec.period_bounds(today, today))
    Payment.objects.filter(pk=due.pk).update(
        state="refunded", confirmed_at=timezone.now()
    )  # as the till does
    after = vat.report(organizer, *fec.period_bounds(today, today))
    assert after.given_back - before.given_back == Decimal("20.00")
    assert before.lines[0].vat - after.lines[0].vat == Decimal("1.04")  # 20 € at 5.5 %: 18.96 + 1.04
    lines = check(fec.file_name(organizer, today), fec.feed_text(fec.feed_rows(organizer, today, today)))
    assert balance(lines, "530000") == Decimal("-30.00")  # 20 + 30 taken, 20 given back


def test_the_page_the_chart_of_accounts_and_who_may_change_it(client, day):
    organizer, _orders = day
    url = reverse("staff:accounting", args=[organizer.slug])
    today = timezone.localdate()
    period = {"du": str(today), "au": str(today)}
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="seller@example.org"))
    page = client.get(url, period).content.decode()
    assert "accounting-warning" not in page and "4,23" in html.unescape(page).replace("\xa0", " ")
    assert client.post(url, {**period, "n-ticket": "706900"}).status_code == 403

    admin = staff(organizer, Role.ADMINISTRATOR, username="admin@example.org")
    login_staff(client, admin)
    response = client.post(
        url, {**period, "n-ticket": "706900", "l-ticket": "Billets", "n-product": "ab1"}, follow=True
    )
    assert "ab1" in html.unescape(response.content.decode())  # refused, named
    assert list(AccountMapping.objects.values_list("key", "number")) == [("ticket", "706900")]
    assert AuditLogEntry.objects.filter(action="accounting.chart", actor=admin).exists()
    download = client.get(url, {**period, "format": "fec"})
    assert download["Content-Disposition"].endswith(f'filename="123456789FEC{today:%Y%m%d}.txt"')
    lines = check(f"123456789FEC{today:%Y%m%d}.txt", download.content.decode("utf-8"))
    assert {x["CompteLib"] for x in lines if x["CompteNum"] == "706900"} == {"Billets"}

    organizer.siret = ""
    organizer.save()
    page = client.get(url, period).content.decode()
    assert "accounting-warning" in page and f"000000000FEC{today:%Y%m%d}.txt" in page
    other = club(organizer.networks.first(), "club-autre")
    login_staff(client, staff(other, Role.ADMINISTRATOR, username="other@example.org"))
    assert client.get(url, period).status_code == 404
