"""A network's seller sells a club's tickets in its own name (opaque intermediary): once the month is over,
the club's self-billed invoice to the seller is made from the settlement, equal to it to the cent per VAT
rate, numbered, made once, shown on the club's VAT page, as a PDF to the network's and the club's staff
only."""

import datetime
from decimal import Decimal

import pypdfium2
import pytest
from django.urls import reverse

from parvis.declarations import self_billing
from parvis.declarations.models import SelfBillingInvoice
from parvis.network.models import NetworkMembership, NetworkRole, NetworkStaff, Role
from parvis.passes.settlements import statement_build
from parvis.passes.tests.factories import club, concert
from parvis.programming.models import Performance
from parvis.testing import UserFactory, login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.models import Cart
from parvis.ticketing.tests.factories import buyer

pytestmark = pytest.mark.django_db


def test_the_clubs_monthly_invoice_to_the_network_agrees_with_the_settlement(client, network):
    association = club(network, "asso-af")
    association.siret = "11111111100011"
    association.save()
    network.ticket_seller = association
    network.ticket_commission_percent = Decimal("8")
    network.save()
    member = club(network, "club-af")
    NetworkMembership.objects.filter(network=network, organizer=member).update(sold_by_network=True)
    gig = concert(member, price="19.90")
    for quantity in (1, 2, 3):
        cart = Cart.objects.create()
        services.cart_add(cart=cart, tariff_id=gig.tariffs.get().pk, quantity=quantity)
        [order] = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")
        services.payment_confirm(payment_id=order.payments.get().pk)
        assert order.organizer == association
    Performance.objects.filter(pk=gig.pk).update(
        starts_at=datetime.datetime(2026, 10, 14, 20, 30, tzinfo=datetime.UTC)
    )
    assert (
        self_billing.issue_month(network, 2026, 10, now=datetime.datetime(2026, 10, 31, tzinfo=datetime.UTC))
        == []
    )

    made = self_billing.issue_month(network, 2026, 10)
    assert self_billing.issue_month(network, 2026, 10) == []  # once
    [invoice] = made
    start, end = self_billing.month_bounds(2026, 10)
    row = next(
        r for r in statement_build(network=network, start=start, end=end).rows if r.organizer_id == member.pk
    )
    # 6 tickets at 19.90, 8 % withheld (1.59 each): 18.31 × 6 = 109.86 to the club, at 5.5 %.
    assert (invoice.total, row.total) == (Decimal("109.86"), Decimal("109.86"))
    assert (
        (invoice.total_excl, invoice.total_vat)
        == (row.excl_tax, row.tax)
        == (Decimal("104.13"), Decimal("5.73"))
    )
    assert (invoice.seller, invoice.organizer, invoice.number) == (
        association,
        member,
        f"AF-{member.pk}-00001",
    )

    coordinator = UserFactory(username="coord@example.org")
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    page = client.get(
        reverse("staff:network_self_billing", args=[network.slug]), {"mois": "2026-10"}
    ).content.decode()
    assert 'data-testid="self-billing-agree"' in page and invoice.number in page
    pdf = client.get(reverse("staff:self_billing_file", args=[invoice.pk]))
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "Autofacturation" in text and "109.86" in text and "11111111100011" in text

    login_staff(client, staff(member, Role.READ_ONLY, username="club@example.org"))
    page = client.get(
        reverse("staff:accounting", args=[member.slug]), {"du": "2026-10-01", "au": "2026-10-31"}
    )
    assert invoice.number in page.content.decode()
    assert client.get(reverse("staff:self_billing_file", args=[invoice.pk])).status_code == 200
    login_staff(client, staff(club(network, "autre-af"), Role.ADMINISTRATOR, username="autre@example.org"))
    assert client.get(reverse("staff:self_billing_file", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("staff:network_self_billing", args=[network.slug])).status_code in (403, 404)
    assert SelfBillingInvoice.objects.count() == 1


def sold_in_october(network, prefix: str):
    """A club whose October concert the association sold in its own name (3 tickets at 19.90, 8 % kept by
    the association): the club, the order, and the club's October invoice (3 × 18.31)."""
    association = club(network, f"asso-{prefix}")
    network.ticket_seller = association
    network.ticket_commission_percent = Decimal("8")
    network.save()
    member = club(network, f"club-{prefix}")
    NetworkMembership.objects.filter(network=network, organizer=member).update(sold_by_network=True)
    gig = concert(member, price="19.90")
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=gig.tariffs.get().pk, quantity=3)
    [order] = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")
    services.payment_confirm(payment_id=order.payments.get().pk)
    Performance.objects.filter(pk=gig.pk).update(
        starts_at=datetime.datetime(2026, 10, 14, 20, 30, tzinfo=datetime.UTC)
    )
    [invoice] = self_billing.issue_month(network, 2026, 10)
    return member, order, invoice


def test_a_ticket_refunded_after_the_invoice_brings_a_credit_note_and_the_month_agrees_again(client, network):
    from parvis.ticketing.models import Ticket

    member, order, invoice = sold_in_october(network, "av")
    assert invoice.total == Decimal("54.93")  # 3 × 18.31
    assert self_billing.correct_month(network, 2026, 10) == []  # nothing moved

    # In November, the box office refunds one ticket of that October evening: the settlement moves.
    services.tickets_refund(tickets=[Ticket.objects.filter(order=order).first()])
    coordinator = UserFactory(username="coord-av@example.org")
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    url = reverse("staff:network_self_billing", args=[network.slug])
    assert 'data-testid="self-billing-differ"' in client.get(url, {"mois": "2026-10"}).content.decode()
    client.post(url, {"mois": "2026-10"})
    credit = SelfBillingInvoice.objects.get(corrects=invoice)
    assert credit.is_credit_note and credit.number == f"AF-{member.pk}-00002"
    assert (credit.total, credit.total_excl + credit.total_vat) == (Decimal("-18.31"), Decimal("-18.31"))
    assert self_billing.correct_month(network, 2026, 10) == []  # once
    page = client.get(url, {"mois": "2026-10"}).content.decode()
    assert 'data-testid="self-billing-agree"' in page and credit.number in page
    pdf = client.get(reverse("staff:self_billing_file", args=[credit.pk]))
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "Avoir" in text and invoice.number in text and "-18.31" in text
    # The member's VAT page lists both documents of October.
    login_staff(client, staff(member, Role.READ_ONLY, username="club-av@example.org"))
    october = {"du": "2026-10-01", "au": "2026-10-31"}
    page = client.get(reverse("staff:accounting", args=[member.slug]), october).content.decode()
    assert invoice.number in page and credit.number in page
