"""The member's VAT on its self-billed invoices falls due when the network's seller pays them (encaissement):
the network records each payment (in parts, or a credit note taken back), the member's VAT page counts
the VAT of what was paid in the month it was paid, to the cent over the parts, and its accounting feed
carries the document in the sales journal and each payment in the bank journal, as the DGFiP's checker
reads them."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from parvis.core.models import AuditLogEntry
from parvis.declarations import fec, self_billing, self_billing_paid, vat
from parvis.declarations.models import SelfBillingInvoice, SelfBillingPayment
from parvis.network.models import NetworkRole, NetworkStaff, Role
from parvis.testing import UserFactory, login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.models import Ticket

from .fec_check import balance, check
from .test_self_billing import sold_in_october

pytestmark = pytest.mark.django_db
ISSUED = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def documents(network):
    """A club's October invoice to the association (3 tickets: 54.93 at 5.5 %), then a credit note for a
    ticket refunded later (−18.31), both issued on 2 November."""
    member, order, invoice = sold_in_october(network, "pay")
    member.siret = "22222222200022"
    member.save()
    services.tickets_refund(tickets=[Ticket.objects.filter(order=order).first()])
    [credit] = self_billing.correct_month(network, 2026, 10)
    SelfBillingInvoice.objects.update(issued_at=ISSUED)
    invoice.refresh_from_db()
    credit.refresh_from_db()
    coordinator = UserFactory(username="coord-pay@example.org")
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    return member, invoice, credit, coordinator


def _pay(client, network, invoice, day, amount=""):
    url = reverse("staff:network_self_billing", args=[network.slug])
    data = {"action": "pay", "mois": "2026-10", "invoice": invoice.pk, "paid_on": day, "amount": amount}
    return client.post(url, data, follow=True).content.decode()


def test_the_network_records_its_payments_and_the_members_vat_falls_due_with_them(client, network, documents):
    member, invoice, credit, coordinator = documents
    assert (invoice.total, invoice.total_vat, credit.total, credit.total_vat) == (
        Decimal("54.93"), Decimal("2.86"), Decimal("-18.31"), Decimal("-0.95"),
    )  # fmt: skip
    login_staff(client, coordinator)
    page = _pay(client, network, invoice, "2026-11-20", "20,00")
    assert "Paiement de 20,00 € enregistré" in page and "Déduit le" in page  # the credit note's form
    assert "Paiement de -18,31 € enregistré" in _pay(client, network, credit, "2026-11-20")  # taken back
    assert "il reste 34,93 €" in _pay(client, network, invoice, "2026-12-01", "40")  # beyond what is left
    assert "il reste 34,93 €" in _pay(client, network, invoice, "2026-12-01", "-5")  # the wrong sign
    assert "il reste 34,93 €" in _pay(client, network, invoice, "2026-12-01", "vingt")  # not a number
    assert "il reste 34,93 €" in _pay(client, network, invoice, "2026-12-01", "NaN")
    assert "ne peut précéder" in _pay(client, network, invoice, "2026-11-01")
    assert "à venir" in _pay(client, network, invoice, "2099-01-01")
    assert "Paiement de 34,93 €" in _pay(client, network, invoice, "2026-12-01")  # all that is left
    assert "déjà réglée" in _pay(client, network, invoice, "2026-12-02", "1")
    assert [p.amount for p in invoice.payments.all()] == [Decimal("20.00"), Decimal("34.93")]
    assert [p.amount for p in credit.payments.all()] == [Decimal("-18.31")]
    assert AuditLogEntry.objects.filter(action="self_billing.payment").count() == 3

    # The VAT of each part, on the running total: 2.86 × 20 / 54.93 = 1.04, then the rest, 1.82.
    november = vat.report(member, *fec.period_bounds(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)))
    december = vat.report(member, *fec.period_bounds(datetime.date(2026, 12, 1), datetime.date(2026, 12, 31)))
    assert [(line.rate, line.vat) for line in november.self_billed] == [(Decimal("5.5"), Decimal("0.09"))]
    assert [(line.rate, line.vat) for line in december.self_billed] == [(Decimal("5.5"), Decimal("1.82"))]
    assert november.vat + december.vat == invoice.total_vat + credit.total_vat  # to the cent, over the parts
    assert december.self_billed[0].gross == Decimal("34.93")

    login_staff(client, staff(member, Role.READ_ONLY, username="club-pay@example.org"))
    page = client.get(
        reverse("staff:accounting", args=[member.slug]), {"du": "2026-12-01", "au": "2026-12-31"}
    )
    assert 'data-testid="vat-self-billed"' in page.content.decode()
    page = client.get(
        reverse("staff:accounting", args=[member.slug]), {"du": "2026-10-01", "au": "2026-10-31"}
    )
    assert "réglé le 01/12/2026" in page.content.decode()


def test_the_members_feed_carries_the_documents_and_their_payments(client, network, documents):
    member, invoice, credit, coordinator = documents
    self_billing_paid.payment_record(
        invoice=invoice, paid_on=datetime.date(2026, 11, 20), amount=Decimal("20")
    )
    self_billing_paid.payment_record(invoice=credit, paid_on=datetime.date(2026, 11, 20))
    self_billing_paid.payment_record(invoice=invoice, paid_on=datetime.date(2026, 12, 1))
    first, last = datetime.date(2026, 11, 1), datetime.date(2026, 12, 31)
    lines = check(fec.file_name(member, last), fec.feed_text(fec.feed_rows(member, first, last)))
    sales = [line for line in lines if line["JournalCode"] == "VT"]
    assert {line["PieceRef"] for line in sales} == {invoice.number, credit.number}
    assert balance(lines, "706400") == invoice.total_excl + credit.total_excl  # the revenue, net
    assert balance(lines, "445800") == 0  # the VAT awaiting payment is all collected once paid
    assert balance(lines, "445710") == invoice.total_vat + credit.total_vat
    assert balance(lines, "411900") == 0 and -balance(lines, "512000") == Decimal("36.62")  # 54.93 − 18.31
    bank = [line for line in lines if line["JournalCode"] == "BQ"]
    assert [line["EcritureDate"] for line in bank][0] == "20261120" and bank[-1]["EcritureDate"] == "20261201"
    # November alone: the documents, and the first payments only.
    november = check(
        fec.file_name(member, datetime.date(2026, 11, 30)),
        fec.feed_text(fec.feed_rows(member, first, datetime.date(2026, 11, 30))),
    )
    assert balance(november, "445710") == Decimal("0.09") and balance(november, "445800") == Decimal("1.82")


def test_only_the_networks_staff_record_payments(client, network, documents):
    member, invoice, _credit, _coordinator = documents
    login_staff(client, staff(member, Role.ADMINISTRATOR, username="admin-pay@example.org"))
    url = reverse("staff:network_self_billing", args=[network.slug])
    answer = client.post(
        url, {"action": "pay", "mois": "2026-10", "invoice": invoice.pk, "paid_on": "2026-11-20"}
    )
    assert answer.status_code in (403, 404) and not SelfBillingPayment.objects.exists()
