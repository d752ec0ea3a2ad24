"""« Est-ce aussi vous ? »: a contact at another club of the network with the person's name and phone under
another address is suggested to the person, never to staff; a link sent to that address (received by a
real SMTP server) proves it, then the account shows what it bought and the network profile links it;
« Non » hides it for good; « Délier » takes it back at once (issue 33)."""

import re

import pytest
from django.test import override_settings

from parvis.accounts import customers
from parvis.core.tests.smtp import Sink
from parvis.crm import network_audience as audience
from parvis.crm import network_suggestions
from parvis.crm.models import AddressAlias, Consent, NetworkLink, Purpose
from parvis.crm.services import consent_record, contact_resolve
from parvis.testing import OrganizerFactory, join
from parvis.ticketing import services
from parvis.ticketing.models import Cart
from parvis.ticketing.tests.factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db
PHONE = "+33612345678"


def _order(club, email):
    cart = Cart.objects.create(channel="online")
    services.cart_add(cart=cart, tariff_id=tariff(on_sale_performance(organizer=club)).pk, quantity=1)
    (order,) = services.checkout_place_orders(cart=cart, buyer=buyer(email=email), provider_code="demo")
    return order


def _person(club, email, *, phone=PHONE, first="Ana", last="Lima", share=True):
    contact = contact_resolve(
        organizer_id=club.pk, email=email, phone=phone, first_name=first, last_name=last
    )
    if share:
        consent_record(
            contact=contact, purpose=Purpose.NETWORK_SHARING, given=True, source=Consent.Source.CHECKOUT
        )
    return contact


@pytest.fixture
def clubs(network):
    clubs = [OrganizerFactory(name=f"Club {n}") for n in ("Alpha", "Bravo", "Charlie", "Delta")]
    join(network, *clubs[:3])  # Delta is not in the network
    return clubs


def _sign_in(client, email="ana@example.org"):
    token = customers.sign_in_link(email).rsplit("/", 2)[-2]
    assert client.post(f"/compte/lien/{token}/").status_code == 302


def test_a_second_address_is_suggested_proven_by_its_mailbox_then_linked_and_taken_back(
    client, network, clubs
):
    alpha, bravo, charlie, delta = clubs
    ana = _person(alpha, "ana@example.org")
    other = _person(bravo, "a.lima@travail.example")
    _person(charlie, "homonyme@example.org", phone="+33700000000")  # the name alone: never suggested
    _person(delta, "ana.delta@example.org")  # outside the network
    _person(charlie, "ana.sans.accord@example.org", share=False, first="ANA", last="lima")  # no consent
    bravo_order = _order(bravo, "a.lima@travail.example")
    _sign_in(client)
    html = client.get("/compte/").content.decode()
    assert "Est-ce aussi vous ?" in html
    assert "a•••@travail.example" in html and "Club Bravo" in html
    assert "h•••@example.org" not in html and "Club Delta" not in html  # name alone; outside the network
    assert "a•••@example.org" not in html and "Club Charlie" not in html  # not shared with the network
    assert "a.lima@travail.example" not in html  # the address is masked until proven
    assert bravo_order.code not in html

    with Sink() as sink, override_settings(**sink.email_settings()):
        response = client.post("/compte/suggestions/", {"contact": other.pk, "answer": "yes"}, follow=True)
        assert "Un lien est parti à a•••@travail.example" in response.content.decode()
    (message,) = sink.messages
    assert message["To"] == "a.lima@travail.example"
    link = re.search(r"https?://\S+/compte/adresse/(\S+)/", message.get_payload(decode=True).decode())
    assert AddressAlias.objects.get().state == "requested"
    assert not NetworkLink.objects.filter(contact=other).exists()  # asking proves nothing yet
    page = client.get(f"/compte/adresse/{link.group(1)}/")
    assert page.status_code == 200 and "a•••@example.org" in page.content.decode()  # the main, masked
    client.post(f"/compte/adresse/{link.group(1)}/")
    assert AddressAlias.objects.get().state == "confirmed"
    profile = audience.profile_for_email(network, "ana@example.org")
    assert set(audience.contacts_of(profile)) == {ana, other}  # one person at Alpha and Bravo
    html = client.get("/compte/").content.decode()
    assert bravo_order.code in html and "a.lima@travail.example" in html  # under « Mes autres adresses »
    assert "<li>Club Alpha — relié</li><li>Club Bravo — relié</li>" in html

    client.post("/compte/suggestions/", {"address": "a.lima@travail.example", "answer": "no"})
    assert AddressAlias.objects.get().state == "refused"
    assert set(audience.contacts_of(profile)) == {ana}  # at once
    html = client.get("/compte/").content.decode()
    assert bravo_order.code not in html and "a•••@travail.example" not in html  # nor suggested again


def test_no_hides_a_suggestion_for_good_and_nothing_else_can_be_asked_for(client, network, clubs):
    alpha, bravo = clubs[:2]
    _person(alpha, "ana@example.org")
    other = _person(bravo, "a.lima@travail.example")
    bea = _person(clubs[2], "bea@example.org", phone="+33699999999")  # a namesake, another phone
    _sign_in(client)
    with Sink() as sink, override_settings(**sink.email_settings()):
        response = client.post("/compte/suggestions/", {"contact": bea.pk, "answer": "yes"}, follow=True)
        assert "Cette suggestion n&#x27;est plus valable." in response.content.decode()
        client.post("/compte/suggestions/", {"contact": other.pk, "answer": "no"})
        response = client.post("/compte/suggestions/", {"contact": other.pk, "answer": "yes"}, follow=True)
        assert "Cette suggestion n&#x27;est plus valable." in response.content.decode()
        client.post("/compte/suggestions/", {"address": "a.lima@travail.example", "answer": "no"})
    assert sink.messages == []  # no link to an address that was not suggested, or was refused
    assert "Est-ce aussi vous ?" not in client.get("/compte/").content.decode()


def test_a_forged_or_reused_link_links_nothing(client, network, clubs):
    alpha, bravo = clubs[:2]
    _person(alpha, "ana@example.org")
    _person(bravo, "a.lima@travail.example")
    assert client.get("/compte/adresse/forged/").status_code == 400
    response = client.post("/compte/adresse/forged/", follow=True)
    assert "Ce lien n&#x27;est plus valable" in response.content.decode()
    assert not AddressAlias.objects.exists() and not NetworkLink.objects.exists()
    # Another account already holds the address: the second confirmation is refused.
    _person(alpha, "bea@example.org")  # Bea has the same name and phone (a shared family line)
    AddressAlias.objects.create(main="bea@example.org", address="a.lima@travail.example", state="confirmed")
    token = network_suggestions.signing.dumps(
        {"m": "ana@example.org", "a": "a.lima@travail.example"}, salt=network_suggestions.ALIAS_SALT
    )
    AddressAlias.objects.create(main="ana@example.org", address="a.lima@travail.example", state="requested")
    response = client.post(f"/compte/adresse/{token}/", follow=True)
    assert "Ce lien n&#x27;est plus valable" in response.content.decode()
    assert AddressAlias.objects.get(main="ana@example.org").state == "requested"


def test_asking_again_and_again_does_not_flood_the_other_mailbox(client, network, clubs, settings):
    alpha, bravo = clubs[:2]
    _person(alpha, "ana@example.org")
    other = _person(bravo, "a.lima@travail.example")
    _sign_in(client)
    with Sink() as sink, override_settings(**sink.email_settings()):
        for _ in range(settings.PARVIS_LOGIN_MAX_FAILURES + 2):
            response = client.post(
                "/compte/suggestions/", {"contact": other.pk, "answer": "yes"}, follow=True
            )
    assert len(sink.messages) == settings.PARVIS_LOGIN_MAX_FAILURES
    assert "Trop de demandes" in response.content.decode()
