"""Money the counter took goes back only through a till: a date cancelled refunds its counter sales as
refunds due at the counter, paid out there with their journal entry; online payments are refunded at once."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from parvis.boxoffice import journal, services
from parvis.boxoffice.models import Chain, EntryKind, JournalEntry
from parvis.network.models import Role
from parvis.testing import staff
from parvis.ticketing import services as ticketing
from parvis.ticketing.models import Payment, PaymentState, TicketState
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

from .helpers import cash_sale, open_counter

pytestmark = pytest.mark.django_db


def _refunds_in_journal(organizer) -> Decimal:
    entries = JournalEntry.objects.filter(organizer=organizer, chain=Chain.LIVE, kind=EntryKind.REFUND)
    return sum((Decimal(m) for e in entries for k, m in e.methods.items() if k != "voucher"), Decimal(0))


def _counter_money_refunded(organizer) -> Decimal:
    return sum(
        Payment.objects.filter(
            order__organizer=organizer, provider__in=["cash", "card_terminal", "cheque"], state="refunded"
        ).values_list("amount", flat=True),
        Decimal(0),
    )


def test_a_cancelled_date_refunds_counter_sales_through_the_till(client, django_capture_on_commit_callbacks):
    performance = on_sale_performance(capacity=20)
    full = tariff(performance, price="18.00")
    organizer = performance.organizer
    user, session = open_counter(organizer, float_="50.00")
    customer = services.Customer(email="lea@example.org", first_name="Léa", last_name="Martin")
    sale = cash_sale(session, user, full, 2, cash_tendered=Decimal("40"), customer=customer)
    online = buy(full, 1)
    assert services.expected_cash(session) == Decimal("86.00")
    with django_capture_on_commit_callbacks(execute=True):
        admin = staff(organizer, Role.ADMINISTRATOR, username="admin@example.org")
        ticketing.performance_cancel(actor=admin, performance=performance, reason="Artiste malade")
    assert set(sale.order.tickets.values_list("state", flat=True)) == {TicketState.REFUNDED}
    # The counter's cash has not left the drawer yet: owed, not refunded, and the journal agrees.
    due = Payment.objects.get(order=sale.order, amount__lt=0)
    assert (due.state, due.provider, due.amount) == (PaymentState.REFUND_DUE, "cash", Decimal("-36.00"))
    assert due.detail["vat"] and due.detail["reason"] == "Artiste malade"
    assert _counter_money_refunded(organizer) == _refunds_in_journal(organizer) == 0
    assert services.expected_cash(session) == Decimal("86.00")
    # The online buyer's payment goes back at once; the counter buyer is told to come to the counter.
    assert Payment.objects.get(order=online, amount__lt=0).state == PaymentState.REFUNDED
    notice = next(m for m in mail.outbox if sale.order.code in m.subject)
    assert "vous attendent au guichet" in notice.body

    client.force_login(user)
    counter = reverse("staff:boxoffice", args=[organizer.slug])
    assert sale.order.code in client.get(counter).content.decode()
    pay = reverse("staff:boxoffice_refund_due", args=[organizer.slug])
    assert client.post(pay, {"payment": due.pk, "method": "cash"}).status_code == 302
    due.refresh_from_db()
    assert due.state == PaymentState.REFUNDED and due.confirmed_at is not None
    assert _counter_money_refunded(organizer) == _refunds_in_journal(organizer) == Decimal("-36.00")
    assert services.expected_cash(session) == Decimal("50.00")
    entry = JournalEntry.objects.get(organizer=organizer, kind=EntryKind.REFUND)
    assert entry.order_code == sale.order.code and entry.vat["5.50"]["ttc"] == "-36.00"
    client.post(pay, {"payment": due.pk, "method": "cash"})  # twice: paid once
    assert JournalEntry.objects.filter(organizer=organizer, kind=EntryKind.REFUND).count() == 1
    closed = services.session_close(session=session, actor=user, counted_cash=Decimal("50.00"))
    assert closed.expected_cash == closed.counted_cash == Decimal("50.00")
    assert journal.verify(organizer, Chain.LIVE, full=True).ok


def test_paying_out_is_refused_in_training_for_another_organizer_and_by_voucher():
    performance = on_sale_performance(capacity=20)
    full = tariff(performance, price="18.00")
    user, session = open_counter(performance.organizer)
    sale = cash_sale(session, user, full, 1)
    ticketing.performance_cancel(actor=None, performance=performance, reason="Intempéries")
    due = Payment.objects.get(order=sale.order, state=PaymentState.REFUND_DUE)
    other = on_sale_performance(capacity=5)
    other_user, other_session = open_counter(other.organizer, username="autre@example.org")
    for kwargs in (
        {"session": other_session, "actor": other_user, "method": "cash"},
        {"session": session, "actor": user, "method": "voucher"},
        {"session": session, "actor": user, "method": "bitcoin"},
    ):
        with pytest.raises(services.CounterError):
            services.refund_pay_out(payment_id=due.pk, **kwargs)
    trainee, training = open_counter(
        performance.organizer, username="stagiaire@example.org", training=True, drawer="Formation"
    )
    with pytest.raises(services.CounterError) as refused:
        services.refund_pay_out(session=training, actor=trainee, payment_id=due.pk, method="cash")
    assert refused.value.code == "training_no_refund"
    entry = services.refund_pay_out(session=session, actor=user, payment_id=due.pk, method="card_terminal")
    assert entry.methods == {"card_terminal": "-18.00"}


def test_a_refund_at_the_counter_is_paid_at_once_and_a_second_one_refunds_no_more_than_was_paid():
    performance = on_sale_performance(capacity=20)
    full = tariff(performance, price="18.00")
    user, session = open_counter(performance.organizer)
    sale = cash_sale(session, user, full, 2)
    first, second = sale.order.tickets.order_by("number")
    services.refund(session=session, actor=user, tickets=[first], reason="Malade", method="cash")
    assert not Payment.objects.filter(state=PaymentState.REFUND_DUE).exists()
    ticketing.performance_cancel(actor=None, performance=performance, reason="Annulé")
    assert Payment.objects.get(state=PaymentState.REFUND_DUE).amount == Decimal("-18.00")
