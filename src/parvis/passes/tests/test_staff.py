"""Staff pages for passes and settlements, with their permissions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.network.models import NetworkRole, NetworkStaff, Role
from parvis.passes.models import PassEntry, PassProduct
from parvis.passes.services import pass_book
from parvis.testing import NetworkFactory, UserFactory, login_staff, staff

from .factories import bought_pass, club, concert, pass_product

pytestmark = pytest.mark.django_db


def _form(network, **overrides):
    now = timezone.localtime()
    data = {
        "name": "Pass découverte",
        "network": network.pk,
        "price": "40.00",
        "vat_rate": "5.50",
        "entries": "3",
        "valid_from": (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "valid_until": (now + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "split_rule": "proportional",
        "unused_rule": "kept",
        "commission_percent": "10",
        "on_sale": "on",
        "max_per_venue": "1",
        "overlap_rule": "confirm",
    }
    data.update(overrides)
    return data


def test_an_administrator_creates_a_network_pass(client, network, organizer):
    admin = staff(organizer, Role.ADMINISTRATOR)
    login_staff(client, admin)
    url = reverse("staff:passes", args=[organizer.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, _form(network))
    assert response.status_code == 302
    product = PassProduct.objects.get()
    assert product.organizer == organizer and product.network == network and product.max_per_venue == 1
    assert product.overlap_rule == "confirm"
    assert AuditLogEntry.objects.filter(action="pass.create").exists()


def test_a_bad_pass_form_says_why_and_creates_nothing(client, network, organizer):
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    url = reverse("staff:passes", args=[organizer.slug])
    response = client.post(url, _form(network, split_rule="fixed", valid_until="2000-01-01T00:00"))
    assert response.status_code == 400 and not PassProduct.objects.exists()
    text = response.content.decode()
    assert "montant reversé par entrée" in text and "La fin de validité doit suivre son début" in text
    foreign = NetworkFactory(slug="ailleurs")  # a network the organizer is not a member of
    assert client.post(url, _form(foreign)).status_code == 400


def test_box_office_staff_see_passes_and_cancel_a_booking_but_cannot_create(client, network, organizer):
    seller = staff(organizer, Role.BOX_OFFICE)
    login_staff(client, seller)
    clubs = [club(network, "alpha")]
    holding = bought_pass(pass_product(organizer, network))
    entry = pass_book(holding=holding, performance_id=concert(clubs[0]).pk)
    url = reverse("staff:passes", args=[organizer.slug])
    page = client.get(url, {"q": holding.email}).content.decode()
    assert holding.code in page and "Nouveau pass" not in page
    assert client.post(url, _form(network)).status_code == 403
    client.post(url, {"action": "cancel_entry", "entry": entry.pk})
    entry.refresh_from_db()
    holding.refresh_from_db()
    assert entry.state == PassEntry.State.CANCELLED and holding.entries_used == 0


def test_staff_of_another_organizer_see_nothing(client, network, organizer, other_organizer):
    login_staff(client, staff(other_organizer, Role.ADMINISTRATOR))
    clubs = [club(network, "alpha")]
    holding = bought_pass(pass_product(organizer, network))
    entry = pass_book(holding=holding, performance_id=concert(clubs[0]).pk)
    assert client.get(reverse("staff:passes", args=[organizer.slug])).status_code == 404
    # Their own page cannot reach the other organizer's bookings either.
    response = client.post(
        reverse("staff:passes", args=[other_organizer.slug]), {"action": "cancel_entry", "entry": entry.pk}
    )
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.state == PassEntry.State.BOOKED


def test_coordinators_read_and_download_the_settlements(client, network, organizer):
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    clubs = [club(network, "alpha")]
    performance = concert(clubs[0])
    holding = bought_pass(pass_product(organizer, network))
    pass_book(holding=holding, performance_id=performance.pk)
    url = reverse("staff:network_settlements", args=[network.slug])
    period = f"{timezone.localtime(performance.starts_at):%Y-%m}"
    page = client.get(url, {"period": period})
    assert page.status_code == 200 and "Club alpha" in page.content.decode()
    csv = client.get(url, {"period": period, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and "attachment" in csv["Content-Disposition"]
    body = csv.content.decode("utf-8-sig")
    assert body.startswith("structure;") and "Club alpha;" in body and "\nTOTAL;" in body
    assert client.get(url, {"period": "n'importe"}).status_code == 302  # told, then sent back
    # the picker: the month is offered by name and selected; dates chosen by hand win over the list
    assert f'<option value="{period}" selected>' in page.content.decode()
    assert '<optgroup label="Trimestres">' in page.content.decode()
    day = timezone.localtime(performance.starts_at).date()
    chosen = client.get(url, {"period": "2001", "du": day.isoformat(), "au": day.isoformat()})
    assert "Club alpha" in chosen.content.decode() and "Dates choisies" in chosen.content.decode()
    before = client.get(url, {"du": "2001-01-01", "au": "2001-01-02"}).content.decode()
    assert "Rien à reverser" in before
    assert client.get(url, {"du": "2001-02-01", "au": "2001-01-02"}).status_code == 302  # backwards
    assert client.get(url, {"du": "zz", "au": "99999-01-01", "period": period}).status_code == 200


def test_organizer_administrators_are_not_coordinators(client, network, organizer):
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    assert client.get(reverse("staff:network_settlements", args=[network.slug])).status_code == 404
