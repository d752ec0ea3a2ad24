"""The audit log read by the staff: words instead of codes and field names, filters, pages, CSV."""

import csv
import io
import re

import pytest
from django.urls import reverse

from parvis.core.audit import audit_record
from parvis.core.models import AuditLogEntry
from parvis.network.models import Role
from parvis.testing import login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.tests.factories import on_sale_performance, tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def journal(client):
    performance = on_sale_performance()
    organizer = performance.organizer
    admin = staff(organizer, Role.ADMINISTRATOR, username="claire")
    plein = tariff(performance, price="24.00")
    services.tariff_update(actor=admin, tariff=plein, data={"price": "30.00", "vat_rate": "2.10"})
    audit_record(
        actor=None,
        action="boxoffice.sale",
        instance=performance,
        organizer=organizer,
        after={"total": "84.00", "methods": {"cash": "84.00"}},
    )
    audit_record(actor=admin, action="checkin.device_create", instance=performance, organizer=organizer)
    for n in range(60):
        audit_record(
            actor=None,
            action="quota.capacity",
            instance=performance,
            organizer=organizer,
            before={"capacity": n},
            after={"capacity": n + 1},
        )
    login_staff(client, admin)
    return organizer, reverse("staff:audit_log", args=[organizer.slug])


def test_entries_are_said_in_words(client, journal):
    organizer, url = journal
    page = client.get(url + "?action=tariff.update").content.decode()
    assert "Tarif d&#x27;une date modifié" in page or "Tarif d'une date modifié" in page
    assert "prix TTC</strong> : 24,00\xa0€ → 30,00\xa0€" in page
    assert "2,1 % — 140 premières représentations" in page  # a choice, by its label
    assert "propre à cette date" not in page  # a date-only tariff: never an exception
    assert "tariff.update" not in page.split("<tbody>")[1]
    sale = client.get(url + "?action=boxoffice.sale").content.decode().split("<tbody>")[1]
    assert "Espèces : 84,00\xa0€" in sale and "{&#x27;cash" not in sale and "{'cash" not in sale
    device = client.get(url + "?action=checkin.device_create").content.decode().split("<tbody>")[1]
    assert "Appareil de contrôle appairé" in device and "checkin.device_create" not in device


def test_filters_pages_and_export(client, journal):
    organizer, url = journal
    first = client.get(url)
    assert first.status_code == 200
    body = first.content.decode()
    assert "64 entrées" in body and "Page 1 sur 2" in body
    assert "Plus anciennes" in body and "Précédent" not in body
    second = client.get(url + "?action=quota.capacity&page=2").content.decode()
    assert "12 entrées" not in second and "Page 2 sur 2" in second
    assert "action=quota.capacity" in second.split('rel="prev"')[0].rsplit("href=", 1)[1]  # filters kept
    assert "Plus récentes" in second
    mine = client.get(url + "?qui=claire").content.decode()
    assert "2 entrées" in mine
    assert "1 entrée" in client.get(url + "?q=Concert&action=checkin.device_create").content.decode()
    assert re.search(r">0 entrées?\s", client.get(url + "?du=2001-01-01&au=2001-01-31").content.decode())
    # nonsense is said, not a 500
    assert client.get(url + "?du=2026-12-31&au=2026-01-01").status_code == 400
    assert client.get(url + "?action=drop.table").status_code == 400
    assert client.get(url + "?du=99999-01-01").status_code == 400
    assert client.get(url + "?page=zz").status_code == 200
    export = client.get(url + "?action=quota.capacity&format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(
        csv.reader(io.StringIO(b"".join(export.streaming_content).decode().lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][:3] == ["Date", "Auteur", "Action"]
    assert len(rows) == 61 and {r[2] for r in rows[1:]} == {"Jauge modifiée"}
    assert rows[1][6] == "jauge : 59 → 60"


def test_only_those_who_may_read_it(client, journal):
    organizer, url = journal
    login_staff(client, staff(organizer, Role.BOX_OFFICE))
    assert client.get(url).status_code == 403
    other = on_sale_performance().organizer
    login_staff(client, staff(other, Role.ADMINISTRATOR))
    assert client.get(url).status_code == 404
    own = client.get(reverse("staff:audit_log", args=[other.slug]))
    assert re.search(r">0 entrées?\s", own.content.decode())
    assert AuditLogEntry.objects.filter(organizer=other).count() == 0
