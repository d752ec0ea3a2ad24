"""Terms of sale: each organizer writes its own (French, English) in its settings, every change a new
version; without them Parvis's general terms apply, drawn from the settings (cancellation, legal details).
Each checkout links to the sellers' terms, and each order records the version its buyer accepted."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from parvis.core.models import AuditLogEntry
from parvis.network.models import Role, TermsOfSale
from parvis.network.services import terms_publish
from parvis.testing import OrganizerFactory, login_staff, staff
from parvis.ticketing.models import Order

from .factories import api_sale, on_sale_performance, tariff
from .test_web import _checkout_data

pytestmark = pytest.mark.django_db


def _settings(organizer, **changes):
    data = {"name": organizer.name, "retention_prospect_years": 3, "retention_customer_years": 3}
    return data | changes


def test_an_administrator_publishes_terms_and_each_change_is_a_new_version(client, organizer):
    admin = staff(organizer, Role.ADMINISTRATOR)
    login_staff(client, admin)
    url = reverse("staff:organizer_settings", args=[organizer.slug])
    response = client.post(url, _settings(organizer, terms_of_sale="Art. 1 — Les billets…"))
    assert response.status_code == 302
    (v1,) = TermsOfSale.objects.filter(organizer=organizer)
    assert (v1.version, v1.text, v1.published_by) == ("v1", "Art. 1 — Les billets…", admin)
    assert AuditLogEntry.objects.filter(action="terms.publish", organizer=organizer).count() == 1
    assert "Art. 1 — Les billets…" in client.get(url).content.decode()  # the form shows the text in force
    client.post(url, _settings(organizer, terms_of_sale="Art. 1 — Les billets…"))  # saved unchanged
    assert TermsOfSale.objects.filter(organizer=organizer).count() == 1
    client.post(url, _settings(organizer, terms_of_sale="Art. 1 — Les billets…", terms_of_sale_en="Art. 1"))
    assert list(organizer.terms_versions.values_list("number", "text_en")) == [(2, "Art. 1"), (1, "")]


def test_settings_refuse_english_terms_alone_and_a_fee_without_a_cancellation_delay(client, organizer):
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    url = reverse("staff:organizer_settings", args=[organizer.slug])
    response = client.post(url, _settings(organizer, terms_of_sale_en="Terms", name="Autre nom"))
    assert response.status_code == 400 and "en français" in response.content.decode()
    response = client.post(url, _settings(organizer, self_cancellation_fee="2.00", name="Autre nom"))
    assert response.status_code == 400 and "sans délai" in response.content.decode()
    organizer.refresh_from_db()
    assert organizer.name != "Autre nom" and not TermsOfSale.objects.exists()
    ok = _settings(
        organizer, self_cancellation_hours="48", self_cancellation_fee="1.50", bank_details="IBAN FR76 …"
    )
    assert client.post(url, ok).status_code == 302
    organizer.refresh_from_db()
    assert (organizer.self_cancellation_hours, organizer.self_cancellation_fee, organizer.bank_details) == (
        48, Decimal("1.50"), "IBAN FR76 …",
    )  # fmt: skip


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMINISTRATOR])
def test_only_administrators_publish_terms(client, organizer, role):
    login_staff(client, staff(organizer, role))
    url = reverse("staff:organizer_settings", args=[organizer.slug])
    assert client.post(url, _settings(organizer, terms_of_sale="Piraté")).status_code == 403
    assert not TermsOfSale.objects.exists()


def test_the_checkout_links_the_terms_and_the_order_records_the_version_accepted(client):
    performance = on_sale_performance()
    organizer = performance.organizer
    terms_publish(actor=None, organizer=organizer, text="Première version.")
    terms_publish(actor=None, organizer=organizer, text="Nos conditions : billets ni repris ni échangés.")
    client.post(f"/billets/{performance.pk}/", {f"q-{tariff(performance).pk}": "1"})
    page = client.get("/panier/commande/").content.decode()
    terms_url = f"/o/{organizer.slug}/conditions-de-vente/"
    assert re.search(r'aria-describedby="id_terms_helptext"', page)
    assert re.search(rf'id="id_terms_helptext">.*href="{terms_url}" target="_blank"', page)
    client.post("/panier/commande/", _checkout_data(client))
    order = Order.objects.get()
    assert order.terms_version == "v2"
    # Published later, a new version leaves the order's own one readable from its page.
    terms_publish(actor=None, organizer=organizer, text="Troisième version.")
    order_page = client.get(order.get_absolute_url()).content.decode()
    assert f'href="{terms_url}?version=v2"' in order_page
    accepted = client.get(f"{terms_url}?version=v2").content.decode()
    assert "billets ni repris ni échangés" in accepted and "plus en vigueur" in accepted
    in_force = client.get(terms_url).content.decode()
    assert "Troisième version." in in_force and "plus en vigueur" not in in_force


def test_without_terms_of_its_own_parvis_general_terms_follow_the_settings(client):
    organizer = OrganizerFactory(name="Le Caveau", legal_name="SCOP Le Caveau", siret="12345678900012")
    url = f"/o/{organizer.slug}/conditions-de-vente/"
    page = client.get(url).content.decode()
    assert "SCOP Le Caveau" in page and "12345678900012" in page and "L221-28" in page
    assert "ni repris ni échangés" in page
    organizer.self_cancellation_hours, organizer.self_cancellation_fee = 48, Decimal("2.00")
    organizer.save()
    page = client.get(url).content.decode()
    assert "jusqu'à 48 heures avant la première date" in page and "2,00" in page
    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "up to 48 hours before the first date" in english and "right of withdrawal" in english
    assert "SIRET: 12345678900012" in english and "SIRET : 12345678900012" in page  # each its typography
    # Emptied terms bring the general terms back, as a version of their own.
    terms_publish(actor=None, organizer=organizer, text="Les nôtres.")
    terms_publish(actor=None, organizer=organizer, text="")
    assert "L221-28" in client.get(url).content.decode()
    assert "L221-28" in client.get(f"{url}?version=v2").content.decode()
    assert "Les nôtres." in client.get(f"{url}?version=v1").content.decode()


def test_an_order_without_terms_of_the_seller_records_the_general_ones(client):
    performance = on_sale_performance()
    client.post(f"/billets/{performance.pk}/", {f"q-{tariff(performance).pk}": "1"})
    client.post("/panier/commande/", _checkout_data(client))
    assert Order.objects.get().terms_version == "parvis-1"


def test_unknown_versions_and_another_organizers_versions_are_not_found(client):
    ours, theirs = OrganizerFactory(), OrganizerFactory()
    terms_publish(actor=None, organizer=theirs, text="Leurs conditions.")
    assert client.get(f"/o/{ours.slug}/conditions-de-vente/?version=v1").status_code == 404
    assert client.get(f"/o/{theirs.slug}/conditions-de-vente/?version=v9").status_code == 404
    assert client.get("/o/nobody/conditions-de-vente/").status_code == 404
    page = client.get(f"/o/{ours.slug}/conditions-de-vente/?version=<script>").content.decode()
    assert "<script>" not in page and "L221-28" in page


def test_a_voucher_bought_online_records_the_terms_and_an_api_order_none(client):
    organizer = OrganizerFactory(sells_gift_vouchers=True)
    terms_publish(actor=None, organizer=organizer, text="Bons valables un an.")
    page = client.get(f"/o/{organizer.slug}/bon-cadeau/").content.decode()
    assert f'href="/o/{organizer.slug}/conditions-de-vente/"' in page
    data = {"value": "30", "email": "a@example.org", "first_name": "A", "last_name": "B", "terms": "on"}
    assert client.post(f"/o/{organizer.slug}/bon-cadeau/", data | {"provider": "demo"}).status_code == 302
    assert Order.objects.get(organizer=organizer).terms_version == "v1"
    performance, full, token = api_sale(capacity=5)
    response = client.post(
        "/api/v1/orders",
        {
            "items": [{"tariff": full.pk, "quantity": 1}],
            "buyer": {"email": "b@example.org", "first_name": "B", "last_name": "C"},
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert Order.objects.get(organizer=performance.organizer).terms_version == ""  # the channel's own terms
