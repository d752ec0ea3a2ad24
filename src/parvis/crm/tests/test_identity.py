"""One profile per person and organizer: identity resolution, touchpoints, consents, timeline, staff pages."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from parvis.checkin import services as door
from parvis.checkin.models import CheckinList
from parvis.checkin.tests.test_redeem import _soon
from parvis.crm import selectors, services
from parvis.crm.models import Consent, Contact, Identifier, Interaction, Purpose
from parvis.network.models import Role
from parvis.testing import OrganizerFactory, login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart
from parvis.ticketing.tests.factories import buy, buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0044 20 7946 0958", "+442079460958"),
        ("12", ""),
        ("not a phone", ""),
        ("", ""),
    ],
)
def test_phones_are_normalised_to_e164(value, expected):
    assert services.normalise_phone(value) == expected


@pytest.mark.parametrize(
    ("postcode", "departement"),
    [
        ("75011", "75"),
        ("06000", "06"),
        ("20090", "2A"),
        ("20200", "2B"),
        ("97400", "974"),
        ("7501", ""),
        ("", ""),
    ],
)
def test_postcodes_give_the_departement(postcode, departement):
    assert services.departement_of(postcode) == departement


def test_touchpoints_resolve_to_one_contact_by_email_then_phone():
    organizer = OrganizerFactory()
    first = services.contact_resolve(
        organizer_id=organizer.pk, email="  Ana.Lima@Example.org ", first_name="Ana"
    )
    same = services.contact_resolve(
        organizer_id=organizer.pk, email="ana.lima@example.org", last_name="Lima", phone="06 12 34 56 78"
    )
    assert same == first
    first.refresh_from_db()
    assert (first.first_name, first.last_name, first.phone) == (
        "Ana",
        "Lima",
        "+33612345678",
    )  # blanks filled
    by_phone = services.contact_resolve(
        organizer_id=organizer.pk, phone="+33612345678", email="ana@other.example"
    )
    assert by_phone == first
    assert set(first.identifiers.values_list("value", flat=True)) == {
        "ana.lima@example.org",
        "+33612345678",
        "ana@other.example",
    }
    # Nothing it had is overwritten; nobody without e-mail or phone is created.
    services.contact_resolve(organizer_id=organizer.pk, email="ana.lima@example.org", first_name="Anna")
    first.refresh_from_db()
    assert first.first_name == "Ana"
    assert services.contact_resolve(organizer_id=organizer.pk, email="not-an-email") is None
    assert Contact.objects.count() == 1


def test_each_organizer_has_its_own_contact_for_the_same_person():
    a, b = OrganizerFactory(), OrganizerFactory()
    ca = services.contact_resolve(organizer_id=a.pk, email="ana@example.org")
    cb = services.contact_resolve(organizer_id=b.pk, email="ana@example.org")
    assert ca != cb and ca.organizer == a and cb.organizer == b


@pytest.mark.django_db(transaction=True)
def test_touchpoints_arriving_at_once_make_one_contact():
    organizer = OrganizerFactory()
    barrier = threading.Barrier(8)

    def touch(i):
        try:
            barrier.wait(timeout=10)
            return services.contact_resolve(
                organizer_id=organizer.pk, email="rush@example.org", first_name=f"R{i}"
            ).pk
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(touch, range(8)))
    assert len(ids) == 1 and Contact.objects.count() == 1
    assert Identifier.objects.filter(value="rush@example.org").count() == 1


def test_a_purchase_and_a_scan_reach_the_timeline_with_consents():
    performance = on_sale_performance()
    cart = Cart.objects.create()
    sales.cart_add(cart=cart, tariff_id=tariff(performance, price="15.00").pk, quantity=2)
    consents = [
        {"purpose": "organizer_newsletter", "given": True, "version": "2026-11", "text": "Je souhaite…"},
        {"purpose": "network_newsletter", "given": False, "version": "2026-11", "text": "Réseau…"},
    ]
    order = sales.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo", consents=consents)[0]
    order = sales.payment_confirm(payment_id=order.payments.get().pk)
    contact = order.contact
    assert (
        contact is not None
        and contact.email == "ana@example.org"
        and contact.organizer == performance.organizer
    )
    ledger = Consent.objects.get(contact=contact)
    assert (ledger.purpose, ledger.given, ledger.version, ledger.source) == (
        "organizer_newsletter",
        True,
        "2026-11",
        "checkout",
    )
    assert ledger.proof["order"] == order.code
    assert selectors.can_message(contact, Purpose.ORGANIZER_NEWSLETTER)
    assert not selectors.can_message(contact, Purpose.NETWORK_NEWSLETTER)  # unticked: never given

    # A second order by the same person, by another e-mail case: same contact.
    again = buy(tariff(performance, name="Réduit", price="10.00"), 1)
    assert again.contact == contact

    # At the door.
    _soon(performance)
    checkin_list = CheckinList.objects.create(organizer=performance.organizer, name="Soir")
    checkin_list.performances.add(performance)
    device, _token = door.device_create(organizer=performance.organizer, name="P1")
    for ticket in order.tickets.all():
        assert door.redeem(
            device=device, checkin_list=checkin_list, secret=ticket.secret, nonce=uuid.uuid4().hex
        ).accepted
    door.redeem(
        device=device, checkin_list=checkin_list, secret=ticket.secret, nonce=uuid.uuid4().hex
    )  # refused

    kinds = list(selectors.timeline(contact).values_list("kind", flat=True))
    assert (
        kinds.count(Interaction.Kind.ATTENDANCE) == 2
    )  # two tickets entered; the refused scan is not a visit
    assert kinds.count(Interaction.Kind.ORDER) == 2 and kinds.count(Interaction.Kind.CONSENT) == 1
    totals = selectors.totals(contact)
    assert totals["visits"] == 2 and totals["spend"] == Decimal("40.00") and totals["orders"] == 2
    assert totals["venues"] == [(performance.venue.name, 2)]

    sales.tickets_refund(tickets=[again.tickets.get()])
    assert selectors.totals(contact)["spend"] == Decimal("30.00")


def test_withdrawal_wins_over_an_earlier_consent_and_messageable_is_one_query(django_assert_num_queries):
    organizer = OrganizerFactory()
    yes = services.contact_resolve(organizer_id=organizer.pk, email="yes@example.org")
    no = services.contact_resolve(organizer_id=organizer.pk, email="no@example.org")
    services.contact_resolve(organizer_id=organizer.pk, email="never@example.org")
    for contact in (yes, no):
        services.consent_record(contact=contact, purpose="organizer_newsletter", given=True, source="signup")
    services.consent_record(contact=no, purpose="organizer_newsletter", given=False, source="unsubscribe")
    with django_assert_num_queries(1):
        emails = set(
            selectors.messageable(
                Contact.objects.filter(organizer=organizer), "organizer_newsletter"
            ).values_list("email", flat=True)
        )
    assert emails == {"yes@example.org"}
    assert not selectors.can_message(no, "organizer_newsletter")
    with pytest.raises(ValueError):
        services.consent_record(contact=yes, purpose="spam", given=True, source="staff")


@pytest.mark.parametrize(
    ("role", "view", "note"),
    [
        (Role.ADMINISTRATOR, 200, 302),
        (Role.MARKETING, 200, 302),
        (Role.BOX_OFFICE, 200, 403),
        (Role.READ_ONLY, 200, 403),
        (Role.DOOR, 403, 403),
        (Role.PROGRAMMING, 403, 403),
    ],
)
def test_roles_on_contact_pages(client, role, view, note):
    organizer = OrganizerFactory()
    contact = services.contact_resolve(organizer_id=organizer.pk, email="ana@example.org", first_name="Ana")
    login_staff(client, staff(organizer, role))
    listing = client.get(f"/staff/o/{organizer.slug}/publics/")
    assert listing.status_code == view
    # Import and export are offered to those who may use them (the others would meet a refusal).
    offered = "publics/import/" in listing.content.decode() and "export.csv" in listing.content.decode()
    assert offered is (note == 302)
    assert client.get(f"/staff/o/{organizer.slug}/publics/{contact.pk}/").status_code == view
    assert (
        client.post(
            f"/staff/o/{organizer.slug}/publics/{contact.pk}/", {"text": "Abonnée fidèle"}
        ).status_code
        == note
    )
    assert Interaction.objects.filter(kind="note").exists() == (note == 302)


def test_staff_of_another_organizer_see_no_contact(client):
    organizer = OrganizerFactory()
    contact = services.contact_resolve(organizer_id=organizer.pk, email="ana@example.org")
    other = OrganizerFactory()
    login_staff(client, staff(other, Role.ADMINISTRATOR))
    assert client.get(f"/staff/o/{organizer.slug}/publics/{contact.pk}/").status_code == 404
    assert client.get(f"/staff/o/{other.slug}/publics/{contact.pk}/").status_code == 404
    assert "ana@example.org" not in client.get(f"/staff/o/{other.slug}/publics/?q=ana").content.decode()


def test_profile_page_shows_timeline_totals_and_search(client):
    performance = on_sale_performance()
    order = buy(tariff(performance, price="12.00"), 1)
    login_staff(client, staff(performance.organizer, Role.MARKETING))
    found = client.get(f"/staff/o/{performance.organizer.slug}/publics/?q=ana@example.org").content.decode()
    assert "Ana Lima" in found
    page = client.get(f"/staff/o/{performance.organizer.slug}/publics/{order.contact_id}/")
    html = page.content.decode()
    assert order.code in html and "Commande" in html
    assert page.context["totals"]["spend"] == Decimal("12.00")
    client.post(page.request["PATH_INFO"], {"text": "Vient avec sa classe"})
    assert "Vient avec sa classe" in client.get(page.request["PATH_INFO"]).content.decode()


def test_staff_group_people_into_a_household(client):
    organizer = OrganizerFactory()
    ana = services.contact_resolve(
        organizer_id=organizer.pk, email="ana@example.org", first_name="Ana", last_name="Lima"
    )
    leo = services.contact_resolve(
        organizer_id=organizer.pk, email="leo@example.org", first_name="Léo", last_name="Lima"
    )
    login_staff(client, staff(organizer, Role.MARKETING))
    client.post(
        f"/staff/o/{organizer.slug}/publics/{ana.pk}/",
        {"action": "household", "household": "new", "household_name": "Famille Lima"},
    )
    ana.refresh_from_db()
    assert ana.household.name == "Famille Lima"
    client.post(
        f"/staff/o/{organizer.slug}/publics/{leo.pk}/", {"action": "household", "household": ana.household_id}
    )
    page = client.get(f"/staff/o/{organizer.slug}/publics/{leo.pk}/").content.decode()
    assert "Ana Lima" in page  # housemates are shown
    client.post(f"/staff/o/{organizer.slug}/publics/{leo.pk}/", {"action": "household", "household": ""})
    leo.refresh_from_db()
    assert leo.household is None
    other = OrganizerFactory()
    from parvis.crm.models import Household

    theirs = Household.objects.create(organizer=other, name="Ailleurs")
    assert (
        client.post(
            f"/staff/o/{organizer.slug}/publics/{leo.pk}/", {"action": "household", "household": theirs.pk}
        ).status_code
        == 404
    )
    leo.refresh_from_db()
    assert leo.household is None  # another organizer's household was not joined
