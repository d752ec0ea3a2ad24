"""Self-service cancellation (where the organizer allows it, with a fee) and credit notes for refunds."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.invoicing import invoice_for
from parvis.ticketing.models import Invoice, Quota

from .factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _allow(performance, hours=48, fee="2.00"):
    organizer = performance.organizer
    organizer.self_cancellation_hours = hours
    organizer.self_cancellation_fee = Decimal(fee)
    organizer.save()


def test_the_buyer_cancels_and_is_refunded_minus_the_fee(client, django_capture_on_commit_callbacks):
    performance = on_sale_performance(capacity=5, days=10)
    _allow(performance)
    order = buy(tariff(performance, price="20.00"), 2)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Annuler ma commande" in page and "2,00" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(order.get_absolute_url(), {"action": "self_cancel"})
    order.refresh_from_db()
    assert order.state == "refunded"
    assert order.payments.get(amount__lt=0).amount == Decimal("-36.00")
    assert Quota.objects.get(performance=performance, is_total=True).used == 0
    (notice,) = mail.outbox  # the buyer is told what comes back
    assert notice.to == [order.email] and notice.subject.startswith("Remboursement")
    assert "annulée et remboursée" in notice.body and "36,00" in notice.body


def test_not_allowed_by_default_or_too_late():
    performance = on_sale_performance(days=10)
    order = buy(tariff(performance), 1)
    assert not services.self_cancellation_allowed(order)
    with pytest.raises(SaleError):
        services.order_self_cancel(order=order)
    _allow(performance, hours=48)
    order.organizer.refresh_from_db()
    later = timezone.now() + datetime.timedelta(days=9)
    assert not services.self_cancellation_allowed(order, now=later)
    assert services.self_cancellation_allowed(order)


def test_a_refund_after_invoicing_issues_a_credit_note_in_the_same_series():
    performance = on_sale_performance(days=10)
    _allow(performance, fee="1.50")
    order = buy(tariff(performance, price="20.00"), 2)
    invoice = invoice_for(order)
    services.order_self_cancel(order=order)
    credit = Invoice.objects.get(order=order, kind=Invoice.Kind.CREDIT_NOTE)
    assert credit.number == invoice.number + 1 and credit.code.startswith("AV-")
    assert credit.total_incl_tax == Decimal("-37.00")
    assert credit.total_excl_tax + credit.total_tax == credit.total_incl_tax
