"""One account across a network: the person sees every order bought with their address, which venues their
network profile links (where they consented), and changes every organizer's consents on one page."""

import io
import re
import zipfile

import pytest

from parvis.accounts import customers
from parvis.crm.models import Consent, NetworkLink
from parvis.testing import OrganizerFactory, join
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _clubs(network):
    clubs = [OrganizerFactory(name=name) for name in ("Club Alpha", "Club Bravo", "Club Charlie")]
    join(network, *clubs)
    orders = [buy(tariff(on_sale_performance(organizer=club))) for club in clubs]
    for order in orders[:2]:  # consent to share with the network at two clubs
        Consent.objects.create(
            organizer=order.organizer,
            contact=order.contact,
            purpose="network_sharing",
            given=True,
            at=order.created_at,
            source="checkout",
        )
    return clubs, orders


def _sign_in(client, email="ana@example.org"):
    token = customers.sign_in_link(email).rsplit("/", 2)[-2]
    assert client.post(f"/compte/lien/{token}/").status_code == 302


def test_the_account_shows_the_linked_venues_and_every_organizer_s_consents_on_one_page(client, network):
    clubs, orders = _clubs(network)
    _sign_in(client)  # proves the address: the two consenting contacts are linked
    assert NetworkLink.objects.count() == 2
    html = client.get("/compte/").content.decode()
    for order in orders:  # the person's own orders, all of them
        assert order.code in html
    assert "<li>Club Alpha — relié</li><li>Club Bravo — relié</li>" in html
    assert "Non reliés (vos choix ci-dessous) : Club Charlie" in html
    bravo = orders[1].contact
    checked = {
        f"c{o.contact.pk}-{p}": "on"
        for o in orders
        for p in ("network_sharing",)
        if o.contact.consents.filter(purpose=p, given=True).exists()
    }
    checked.pop(f"c{bravo.pk}-network_sharing")  # withdraws at Club Bravo
    assert client.post("/compte/consentements/", checked).status_code == 302
    html = client.get("/compte/").content.decode()
    assert "<li>Club Alpha — relié</li>" in html and "Club Bravo — relié" not in html
    assert "Non reliés (vos choix ci-dessous) : Club Bravo, Club Charlie" in html
    assert list(NetworkLink.objects.values_list("contact", flat=True)) == [orders[0].contact.pk]
    withdrawal = bravo.consents.filter(purpose="network_sharing").latest("at")
    assert not withdrawal.given and withdrawal.source == "self_service" and withdrawal.proof["account"]
    assert Consent.objects.filter(given=True, purpose="network_sharing").count() == 2  # nothing else written


def test_consents_are_saved_only_for_a_signed_in_account(client, network):
    _clubs(network)
    assert client.post("/compte/consentements/", {}).status_code == 302
    assert Consent.objects.filter(given=False).count() == 0


def test_the_account_exports_every_organizer_s_part_in_one_archive(client, network):
    clubs, _orders = _clubs(network)
    _sign_in(client)
    html = client.get("/compte/").content.decode()
    link = re.search(r'href="(/mes-donnees/tout/[^"]+/)" data-testid="my-data-all"', html)[1]
    page = client.get(link)
    assert page.status_code == 200 and all(club.name in page.content.decode() for club in clubs)
    archive = zipfile.ZipFile(io.BytesIO(client.get(link + "archive.zip").content))
    folders = {name.split("/", 1)[0] for name in archive.namelist()}
    assert folders == {club.slug for club in clubs}  # each part produced by its organizer


def test_a_signed_in_buyer_s_new_venue_links_at_once_where_they_agree(client, network):
    _clubs(network)
    _sign_in(client)
    assert NetworkLink.objects.count() == 2
    delta = OrganizerFactory(name="Club Delta")
    join(network, delta)
    performance = on_sale_performance(organizer=delta)
    price = tariff(performance, price="15.00")
    client.post(f"/billets/{performance.pk}/", {f"q-{price.pk}": "1"})
    page = client.get("/panier/commande/").content.decode()
    assert 'name="network_sharing"' in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page)[1]
    data = {"email": "ana@example.org", "first_name": "Ana", "last_name": "Lima", "terms": "on"}
    data |= {"provider": "demo", "idempotency_key": key, "network_sharing": "on"}
    assert client.post("/panier/commande/", data).status_code == 302
    link = NetworkLink.objects.get(organizer=delta)  # proven by the account: linked without a new link
    assert link.contact.email == "ana@example.org"


def test_one_button_shares_with_the_network_at_every_venue_or_at_none(client, network):
    clubs, orders = _clubs(network)
    _sign_in(client)
    html = client.get("/compte/").content.decode()
    assert "Relier tous mes lieux du réseau Jazz réseau" in html
    client.post("/compte/consentements/reseau/", {"network": network.pk, "given": "yes"})
    assert NetworkLink.objects.count() == 3  # Charlie too, in Charlie's own ledger
    given = orders[2].contact.consents.filter(purpose="network_sharing").latest("at")
    assert given.given and given.source == "self_service" and given.proof["network"] == network.pk
    html = client.get("/compte/").content.decode()
    assert "Relier tous mes lieux" not in html and "Ne plus rien partager avec le réseau" in html
    client.post("/compte/consentements/reseau/", {"network": network.pk, "given": "no"})
    assert not NetworkLink.objects.exists()
    assert Consent.objects.filter(purpose="network_sharing").count() == 2 + 1 + 3  # changes only
    client.post("/compte/deconnexion/")
    client.post("/compte/consentements/reseau/", {"network": network.pk, "given": "yes"})
    assert not NetworkLink.objects.exists()  # signed out: nothing


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_network_notice_names_the_joint_controllers(client, network, language):
    clubs, _orders = _clubs(network)
    page = client.get(f"/r/{network.slug}/donnees-personnelles/", HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert page.status_code == 200 and all(club.name in html for club in clubs)
    assert ("responsables conjoints" if language == "fr" else "joint controllers") in html
    terms = client.get(f"/o/{clubs[0].slug}/conditions-de-vente/", HTTP_ACCEPT_LANGUAGE=language)
    assert f'href="/r/{network.slug}/donnees-personnelles/"' in terms.content.decode()
    assert client.get("/r/nowhere/donnees-personnelles/").status_code == 404
