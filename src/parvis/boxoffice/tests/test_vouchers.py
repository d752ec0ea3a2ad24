"""Gift vouchers at the counter: sold (money taken, not revenue), spent over several sales, refunds given
as a credit voucher; balances never go below zero, even when two counters spend one voucher at once."""

import datetime
import threading
from decimal import Decimal

import pypdfium2
import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from parvis.boxoffice import journal, services
from parvis.boxoffice.models import Chain, EntryKind, JournalEntry
from parvis.testing import login_staff
from parvis.ticketing import vouchers
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Order, Voucher, VoucherMovement
from parvis.ticketing.tests.factories import on_sale_performance, tariff

from .helpers import cash_sale, open_counter


@pytest.fixture
def show(db):
    performance = on_sale_performance(capacity=50)
    return performance, tariff(performance, price="18.00")


def _pay_with(session, user, full, payments, quantity=1):
    services.basket_add(session=session, tariff_id=full.pk, quantity=quantity)
    return services.sale(session=session, actor=user, payments=payments)


@pytest.mark.django_db
def test_a_voucher_sold_then_spent_over_two_sales(show, client):
    performance, full = show
    user, session = open_counter(performance.organizer, float_="0")
    voucher, entry = services.voucher_sell(
        session=session, actor=user, value=Decimal("30"), method="cash", recipient="Léa"
    )
    assert (voucher.balance, voucher.source, voucher.recipient) == (Decimal("30.00"), "box_office", "Léa")
    assert entry.total == 0 and entry.methods == {"cash": "30.00", "voucher": "-30.00"}
    assert services.expected_cash(session) == Decimal("30.00")
    # Sold with an order and its payment, like any sale: every euro of the counter has both.
    sold = voucher.order
    assert (sold.channel, sold.state, sold.total, entry.order_code) == (
        "box_office",
        "paid",
        Decimal("30.00"),
        sold.code,
    )
    assert list(sold.payments.values_list("provider", "amount", "state")) == [
        ("cash", Decimal("30.00"), "confirmed")
    ]
    assert list(sold.extras.values_list("kind", "unit_price", "vat_rate")) == [
        ("voucher", Decimal("30.00"), Decimal("0.00"))
    ]
    first = _pay_with(
        session, user, full, [services.CounterPayment("voucher", Decimal("18"), voucher.code.lower())]
    )
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("12.00")
    assert first.order.payments.get().reference == f"{voucher.code}/{first.order.code}"
    with pytest.raises(SaleError) as exc:  # 12 € left, 18 € asked: nothing is sold
        _pay_with(session, user, full, [services.CounterPayment("voucher", Decimal("18"), voucher.code)])
    assert exc.value.code == "voucher_insufficient" and "12" in exc.value.message
    assert Order.objects.count() == 2  # the voucher's and the first sale's
    services.basket_clear(session=session)
    second = _pay_with(
        session,
        user,
        full,
        [
            services.CounterPayment("voucher", Decimal("12"), voucher.code),
            services.CounterPayment("cash", Decimal("6")),
        ],
    )
    voucher.refresh_from_db()
    assert voucher.balance == 0 and second.entry.methods == {"cash": "6.00", "voucher": "12.00"}
    assert list(VoucherMovement.objects.filter(voucher=voucher).values_list("kind", "amount")) == [
        ("issue", Decimal("30.00")), ("redeem", Decimal("-18.00")), ("redeem", Decimal("-12.00")),
    ]  # fmt: skip
    login_staff(client, user)
    pdf = client.get(reverse("staff:boxoffice_voucher_pdf", args=[performance.organizer.slug, voucher.code]))
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert voucher.code in text and "30,00" in text
    assert journal.verify(performance.organizer, Chain.LIVE, full=True).ok


@pytest.mark.django_db
def test_expired_unknown_and_foreign_vouchers_are_refused(show):
    performance, full = show
    user, session = open_counter(performance.organizer)
    old = vouchers.voucher_issue(organizer=performance.organizer, value=Decimal("20"), source="gift")
    Voucher.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    from parvis.testing import OrganizerFactory

    foreign = vouchers.voucher_issue(organizer=OrganizerFactory(), value=Decimal("20"), source="gift")
    for code, reason in [
        (old.code, "voucher_expired"),
        ("NOPE-NOPE-NOPE", "voucher_unknown"),
        (foreign.code, "voucher_unknown"),
    ]:
        services.basket_clear(session=session)
        with pytest.raises(SaleError) as exc:
            _pay_with(session, user, full, [services.CounterPayment("voucher", Decimal("18"), code)])
        assert exc.value.code == reason
    with pytest.raises(SaleError):
        vouchers.voucher_issue(organizer=performance.organizer, value=Decimal("0.50"), source="gift")


@pytest.mark.django_db
def test_a_refund_to_a_voucher_issues_a_credit_and_takes_no_cash(show):
    performance, full = show
    user, session = open_counter(performance.organizer, float_="0")
    order = cash_sale(session, user, full, 2).order
    entry = services.refund(
        session=session, actor=user, tickets=[order.tickets.first()], reason="Report", method="voucher"
    )
    credit = Voucher.objects.get(code=entry.detail["voucher"])
    assert (credit.balance, credit.source) == (Decimal("18.00"), "refund")
    assert entry.methods == {"voucher": "-18.00"} and entry.total == Decimal("-18.00")
    assert services.expected_cash(session) == Decimal("36.00")  # the cash stays in the drawer


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_two_counters_spending_one_voucher_at_once_never_overdraw_it(show):
    performance, full = show
    voucher = vouchers.voucher_issue(organizer=performance.organizer, value=Decimal("30"), source="gift")
    counters = [
        open_counter(performance.organizer, username=f"v{i}@example.org", drawer=f"V{i}") for i in (1, 2)
    ]
    for _user, session in counters:
        services.basket_add(session=session, tariff_id=full.pk, quantity=1)
    barrier, outcomes = threading.Barrier(2), []

    def spend(user, session):
        try:
            barrier.wait(timeout=10)
            services.sale(
                session=session,
                actor=user,
                payments=[services.CounterPayment("voucher", Decimal("18"), voucher.code)],
            )
            outcomes.append("ok")
        except SaleError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend, args=counter) for counter in counters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "voucher_insufficient"]
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("12.00")
    assert JournalEntry.objects.filter(kind=EntryKind.SALE, chain=Chain.LIVE).count() == 1
