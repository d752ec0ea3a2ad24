"""The tax inspector's read-only role: any ticket by its number or order code, with its payments,
cancellation, reprints and scans; the statements and the till journal; every access logged; nothing else
of the staff area open to it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from parvis.boxoffice import services as counter
from parvis.boxoffice.tests.helpers import cash_sale, open_counter
from parvis.core.models import AuditLogEntry
from parvis.network.models import Role
from parvis.testing import login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.tests.factories import on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def test_the_inspector_finds_a_ticket_and_every_look_is_logged(client):
    performance = on_sale_performance(capacity=20)
    full = tariff(performance, price="18.00")
    organizer = performance.organizer
    user, session = open_counter(organizer)
    sale = cash_sale(session, user, full, 2)
    first, second = sale.order.tickets.order_by("number")
    counter.reprint(session=session, actor=user, ticket=first)
    sales.tickets_refund(tickets=[second], reason="Malade", method="cash", till=True)
    inspector = staff(organizer, Role.INSPECTOR, username="inspecteur@dgfip.example")
    login_staff(client, inspector)
    url = reverse("staff:inspector", args=[organizer.slug])
    page = client.get(url, {"billet": str(first.number)}).content.decode()
    assert f"Billet n° {first.number}" in page and "Duplicata 1" in page and "Espèces" in page
    assert "La chaîne du journal est intacte." in page
    by_code = client.get(url, {"billet": sale.order.code.lower()}).content.decode()
    assert by_code.count('data-testid="inspected-ticket"') == 2 and "Remboursé" in by_code
    assert client.get(reverse("staff:statements", args=[organizer.slug])).status_code == 200
    looks = AuditLogEntry.objects.filter(action="inspector.access", actor_id=inspector.pk).order_by("pk")
    assert [(e.after["page"], e.after.get("query")) for e in looks] == [
        ("tickets", str(first.number)), ("tickets", sale.order.code.lower()), ("statements", None),
    ]  # fmt: skip
    assert looks[0].after["found"] == 1
    # Nothing else: no orders page, no counter, no contacts.
    for name in ("staff:order_list", "staff:boxoffice", "staff:crm_contacts"):
        assert client.get(reverse(name, args=[organizer.slug])).status_code == 403
    # The administrator sees the same page; their looks are not the inspector's log.
    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="admin@example.org"))
    assert client.get(url, {"billet": str(first.number)}).status_code == 200
    assert AuditLogEntry.objects.filter(action="inspector.access").count() == 3
    assert Decimal(sale.order.total) == Decimal("36.00")
