"""GDPR rights self-served through a signed link, double opt-in sign-up, the register of requests."""

import datetime
import io
import json
import re
import zipfile

import pytest

from parvis.core.models import AuditLogEntry
from parvis.crm import privacy, selectors, services
from parvis.crm.models import Consent, Contact, Identifier, Interaction, PrivacyRequest
from parvis.network.models import Role
from parvis.testing import OrganizerFactory, login_staff, staff
from parvis.ticketing.models import Invoice, Order
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _bought():
    performance = on_sale_performance()
    order = buy(tariff(performance, price="20.00"), 2)
    services.consent_record(
        contact=order.contact,
        purpose="organizer_newsletter",
        given=True,
        source="checkout",
        proof={"ip": "203.0.113.9", "order": order.code},
    )
    services.note_add(actor=None, contact=order.contact, text="Allergique aux paillettes")
    return performance, order, order.contact


def _link(mailoutbox):
    return re.search(r"http://\S+/mes-donnees/(?!tout/)(\S+)/", mailoutbox[-1].body).group(1)


def _all_link(mailoutbox):
    return re.search(r"http://\S+/mes-donnees/tout/(\S+)/", mailoutbox[-1].body).group(1)


def test_a_guest_gets_one_link_per_organizer_by_email_and_strangers_learn_nothing(client, mailoutbox):
    _performance, order, contact = _bought()
    other = on_sale_performance()
    buy(tariff(other), 1)  # the same person at another organizer
    response = client.post("/mes-donnees/", {"email": "ANA@example.org"}, follow=True)
    assert "Si cette adresse est connue" in response.content.decode()
    assert len(mailoutbox) == 1  # one message, one link per organizer, and one for them all
    assert mailoutbox[-1].body.count("/mes-donnees/") == 3
    assert mailoutbox[-1].body.count("/mes-donnees/tout/") == 1
    assert privacy.contact_for_token(_link(mailoutbox)) in Contact.objects.filter(email="ana@example.org")
    unknown = client.post("/mes-donnees/", {"email": "nobody@example.org"}, follow=True)
    assert unknown.content.decode().count("Si cette adresse est connue") == 1
    assert len(mailoutbox) == 1


def test_one_link_downloads_and_erases_everything_at_every_organizer(client, mailoutbox):
    _performance, order, contact = _bought()
    second = buy(tariff(on_sale_performance()), 1)
    third = buy(tariff(on_sale_performance()), 1)
    client.post("/mes-donnees/", {"email": "ana@example.org"})
    token = _all_link(mailoutbox)
    page = client.get(f"/mes-donnees/tout/{token}/")
    assert page.status_code == 200
    for o in (order, second, third):
        assert o.organizer.name in page.content.decode()
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/mes-donnees/tout/{token}/archive.zip").content))
    assert {name.split("/")[0] for name in archive.namelist()} == {
        o.organizer.slug for o in (order, second, third)
    }
    # nothing chosen, or not confirmed: nothing erased, said
    none = client.post(f"/mes-donnees/tout/{token}/", {"e-confirm": "on"})
    assert none.status_code == 400 and "au moins une structure" in none.content.decode()
    unconfirmed = client.post(f"/mes-donnees/tout/{token}/", {"organizer": [order.organizer_id]})
    assert unconfirmed.status_code == 400
    assert Contact.objects.filter(email="ana@example.org", anonymised_at__isnull=True).count() == 3
    # two of the three, in one step
    done = client.post(
        f"/mes-donnees/tout/{token}/",
        {"organizer": [order.organizer_id, second.organizer_id], "e-confirm": "on"},
    )
    assert done.status_code == 200 and "ne détiennent plus vos coordonnées" in done.content.decode()
    left = Contact.objects.filter(email="ana@example.org", anonymised_at__isnull=True)
    assert [c.organizer_id for c in left] == [third.organizer_id]
    assert PrivacyRequest.objects.filter(kind=PrivacyRequest.Kind.ERASURE).count() == 2
    # the link now opens only what is left; a forged one opens nothing
    assert third.organizer.name in client.get(f"/mes-donnees/tout/{token}/").content.decode()
    assert order.organizer.name not in client.get(f"/mes-donnees/tout/{token}/").content.decode()
    assert client.get(f"/mes-donnees/tout/{token[:-3]}abc/").status_code == 404
    assert client.get(f"/mes-donnees/tout/{privacy.self_service_token(contact)}/").status_code == 404


def test_tampered_and_expired_links_open_nothing(client, monkeypatch):
    _performance, _order, contact = _bought()
    token = privacy.self_service_token(contact)
    assert client.get(f"/mes-donnees/{token}/").status_code == 200
    assert client.get(f"/mes-donnees/{token[:-2]}xx/").status_code == 404
    monkeypatch.setattr(privacy, "LINK_MAX_AGE", datetime.timedelta(seconds=-1))
    assert client.get(f"/mes-donnees/{token}/").status_code == 404
    assert client.get(f"/mes-donnees/{token}/archive.zip").status_code == 404


def test_download_holds_everything_as_json_and_csv(client):
    _performance, order, contact = _bought()
    token = privacy.self_service_token(contact)
    response = client.get(f"/mes-donnees/{token}/archive.zip")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == {
        "data.json",
        "contact.csv",
        "orders.csv",
        "tickets.csv",
        "interactions.csv",
        "consents.csv",
        "identifiers.csv",
    }
    data = json.loads(archive.read("data.json"))
    assert data["contact"]["email"] == "ana@example.org" and data["orders"][0]["code"] == order.code
    assert len(data["tickets"]) == 2 and data["consents"][0]["purpose"] == "organizer_newsletter"
    orders_csv = archive.read("orders.csv").decode("utf-8")
    assert orders_csv.startswith("\ufeffcode,") and order.code in orders_csv
    assert PrivacyRequest.objects.get().kind == "access"


def test_consents_and_corrections_are_self_served(client):
    _performance, _order, contact = _bought()
    url = f"/mes-donnees/{privacy.self_service_token(contact)}/"
    client.post(
        url, {"action": "consents", "consent-recommendations": "on"}
    )  # newsletter unticked: withdrawn
    assert not selectors.can_message(contact, "organizer_newsletter")
    assert selectors.can_message(contact, "recommendations")
    sources = set(Consent.objects.filter(contact=contact).values_list("source", flat=True))
    assert sources == {"checkout", "self_service"}
    assert Consent.objects.filter(contact=contact).count() == 3  # nothing is rewritten, rows are added
    bad = client.post(
        url,
        {
            "action": "correct",
            "c-first_name": "Anna",
            "c-last_name": "Lima",
            "c-phone": "12",
            "c-language": "fr",
        },
    )
    assert "Numéro de téléphone invalide" in bad.content.decode()
    client.post(
        url,
        {
            "action": "correct",
            "c-first_name": "Anna",
            "c-last_name": "Lima",
            "c-phone": "0612345678",
            "c-postal_code": "13001",
            "c-language": "en",
        },
    )
    contact.refresh_from_db()
    assert (contact.first_name, contact.phone, contact.departement, contact.language) == (
        "Anna",
        "+33612345678",
        "13",
        "en",
    )
    assert Identifier.objects.filter(contact=contact, kind="phone", value="+33612345678").exists()
    kinds = set(PrivacyRequest.objects.values_list("kind", flat=True))
    assert kinds == {"objection", "rectification"}
    assert AuditLogEntry.objects.filter(action="crm.correct").get().before["first_name"] == "Ana"


def test_erasure_anonymises_everywhere_and_keeps_legal_records(client):
    _performance, order, contact = _bought()
    invoice_buyer = Invoice.objects.filter(order=order).values_list("buyer", flat=True).first()
    url = f"/mes-donnees/{privacy.self_service_token(contact)}/"
    refused = client.post(url, {"action": "erase"})  # the box is not ticked
    assert refused.status_code == 200 and Contact.objects.get(pk=contact.pk).anonymised_at is None
    done = client.post(url, {"action": "erase", "e-confirm": "on"})
    assert "Données effacées" in done.content.decode()
    contact.refresh_from_db()
    assert contact.anonymised_at and not (
        contact.first_name or contact.last_name or contact.email or contact.phone
    )
    assert not Identifier.objects.filter(contact=contact).exists()
    order.refresh_from_db()
    assert "ana" not in order.email and order.first_name == "" and order.total == 40
    assert set(order.tickets.values_list("attendee_name", flat=True)) == {""}
    assert not Interaction.objects.filter(contact=contact, kind="note").exists()
    consent = Consent.objects.get(contact=contact, source="checkout")
    assert "ip" not in consent.proof and consent.proof["order"] == order.code
    assert Invoice.objects.filter(order=order).values_list("buyer", flat=True).first() == invoice_buyer
    assert PrivacyRequest.objects.get(kind="erasure").completed_at is not None
    assert client.get(url).status_code == 404  # the link opens nothing any more
    # Buying again later makes a new contact: nothing links back to the erased one.
    again = services.contact_resolve(organizer_id=contact.organizer_id, email="ana@example.org")
    assert again.pk != contact.pk
    assert "ana@example.org" not in json.dumps(list(Order.objects.filter(pk=order.pk).values()), default=str)


def test_newsletter_sign_up_needs_the_confirmation_click(client, mailoutbox):
    organizer = OrganizerFactory()
    page = client.get(f"/o/{organizer.slug}/lettre/")
    assert organizer.name in page.content.decode()
    missing = client.post(f"/o/{organizer.slug}/lettre/", {"email": "leo@example.org"})
    assert missing.status_code == 200 and not Contact.objects.exists()  # the box was not ticked
    client.post(f"/o/{organizer.slug}/lettre/", {"email": "Leo@Example.org", "consent": "on"})
    contact = Contact.objects.get(email="leo@example.org")
    assert not selectors.can_message(contact, "organizer_newsletter")  # not yet
    link = re.search(r"http://\S+(/lettre/confirmer/\S+/)", mailoutbox[-1].body).group(1)
    assert client.get(link).status_code == 200 and not Consent.objects.exists()  # a mail scanner's visit
    client.post(link, REMOTE_ADDR="198.51.100.7")
    client.post(link)
    consent = Consent.objects.get(contact=contact)
    assert (consent.given, consent.source, consent.proof["ip"]) == (True, "double_opt_in", "198.51.100.7")
    assert organizer.name in consent.wording
    assert selectors.can_message(contact, "organizer_newsletter")
    assert contact.interactions.filter(kind="signup").count() == 1
    assert client.post("/lettre/confirmer/forged/").status_code == 404


@pytest.mark.parametrize(("role", "erase"), [(Role.MARKETING, 302), (Role.READ_ONLY, 403), (Role.DOOR, 403)])
def test_staff_register_erase_and_export(client, role, erase):
    performance, order, contact = _bought()
    login_staff(client, staff(performance.organizer, role))
    base = f"/staff/o/{performance.organizer.slug}/publics/"
    client.post(f"{base}{contact.pk}/effacer/")  # without the confirmation box: nothing
    assert Contact.objects.get(pk=contact.pk).anonymised_at is None
    assert client.post(f"{base}{contact.pk}/effacer/", {"confirm": "on"}).status_code == erase
    assert (Contact.objects.get(pk=contact.pk).anonymised_at is not None) == (erase == 302)
    if erase == 302:
        register = client.get(f"{base}demandes/")
        assert register.status_code == 200 and "Effacement" in register.content.decode()
        assert PrivacyRequest.objects.get().handled_by is not None
