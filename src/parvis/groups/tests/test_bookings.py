"""Group bookings end to end: a teacher asks (the school found in the directory), staff confirm (the places
taken from the date like a sale: never more than the date holds, public buyers racing on real threads),
the quote, the arrival count, the invoice adjusted to it and paid; another date proposed and accepted; a
refusal; the team's week; the CRM's record."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pypdfium2
import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connections
from django.test import Client, override_settings
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.core.tests.smtp import Sink
from parvis.crm.models import Affiliation, Interaction
from parvis.groups import establishments, services
from parvis.groups.models import Establishment, GroupBooking, GroupOffer, Guide
from parvis.network.models import Role
from parvis.testing import login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Quota
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _uai(digits: str) -> str:
    return digits + establishments.UAI_KEYS[int(digits) % 23]


DIRECTORY = (
    "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Statut_public_prive;Code_postal;"
    "Nom_commune\n"
    f"{_uai('0139001')};École élémentaire des Tilleuls;Ecole;Public;13001;Marseille\n"
    f"{_uai('0139002')};Collège du Vieux-Port;Collège;Public;13002;Marseille\n"
    "0139003X;Numéro faux;Ecole;Public;13003;Marseille\n"
)


def _text(pdf: bytes) -> str:
    return pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()


def _offer(capacity: int = 40, **fields) -> tuple[GroupOffer, list]:
    performance = on_sale_performance(capacity=capacity, title="Lumières du Nord")
    tariff(performance, price="14.00")
    second = type(performance).objects.create(
        event=performance.event, organizer=performance.organizer, venue=performance.venue,
        starts_at=performance.starts_at + datetime.timedelta(days=7), capacity=capacity, status="published",
    )  # fmt: skip
    tariff(second, price="14.00")
    offer = GroupOffer.objects.create(
        organizer=performance.organizer, event=performance.event, name="Visite guidée",
        audiences=["school", "association"], min_size=5, max_size=35, adults_free_per=8,
        price=Decimal("6.00"), **fields,
    )  # fmt: skip
    offer.teaching_pack.save("dossier.pdf", ContentFile(b"%PDF-1.4 dossier"), save=True)
    return offer, [performance, second]


def _ask(client, offer, performance, *, pupils=28, adults=3, **extra):
    establishments.import_directory(DIRECTORY)
    data = {
        "audience": "school", "establishment_name": "École élémentaire des Tilleuls", "uai": _uai("0139001"),
        "level": "CM1", "pupils": pupils, "adults": adults, "dates": [performance.pk],
        "leader_name": "Inès Garnier", "leader_email": "ines.garnier@ecole.example", "newsletter": "on",
        **extra,
    }  # fmt: skip
    return client.post(f"/groupes/offres/{offer.pk}/demande/", data)


def _used(performance) -> int:
    return Quota.objects.get(performance=performance, is_total=True).used


def test_request_confirm_quote_arrival_adjusted_invoice_paid(client, django_capture_on_commit_callbacks):
    offer, (performance, _second) = _offer(deposit_percent=30)
    with Sink() as sink, override_settings(**sink.email_settings()):
        with django_capture_on_commit_callbacks(execute=True):
            answer = _ask(client, offer, performance)
        booking = GroupBooking.objects.get()
        assert answer.status_code == 302 and answer["Location"] == booking.get_absolute_url()
        assert booking.state == "requested" and booking.establishment.uai == _uai("0139001")
        assert booking.public_body  # a public school: invoiced through Chorus Pro
        assert _used(performance) == 0  # a request takes nothing yet
        (received,) = sink.messages
        assert received["To"] == "ines.garnier@ecole.example"
        team = Client()
        login_staff(team, staff(offer.organizer, Role.BOX_OFFICE))
        url = f"/staff/o/{offer.organizer.slug}/groupes/{booking.code}/"
        with django_capture_on_commit_callbacks(execute=True):
            team.post(url, {"action": "confirm", "performance": performance.pk})
        booking.refresh_from_db()
        assert booking.state == "confirmed" and booking.places == 31 and _used(performance) == 31
        confirmed = sink.messages[1]
        (quote,) = [p for p in confirmed.walk() if p.get_content_type() == "application/pdf"]
        text = _text(quote.get_payload(decode=True))
        # 28 pupils and 3 adults, 3 free (one per 8 pupils): 28 paying at 6 € — the deposit asked is 30 %.
        assert booking.quote_code in text and "168,00" in text and "50,40" in text and "UAI" in text
        references = {"purchase_order": "BC-2026-114", "chorus_service": "ECOLES", "chorus_commitment": "",
                      "pass_culture": "", "siret": "", "deposit_received": "50.40"}  # fmt: skip
        team.post(url, {"action": "references", **references})
        team.post(url, {"action": "arrival", "pupils": 24, "adults": 3})
        booking.refresh_from_db()
        assert booking.state == "visited" and booking.places == 27 and _used(performance) == 27
        with django_capture_on_commit_callbacks(execute=True):
            team.post(url, {"action": "invoice"})
        booking.refresh_from_db()
        assert booking.invoice_total == Decimal("144.00")  # 24 + 3 - 3 free = 24 paying
        invoiced = sink.messages[2]
        (pdf,) = [p for p in invoiced.walk() if p.get_content_type() == "application/pdf"]
        text = _text(pdf.get_payload(decode=True))
        for expected in (
            booking.invoice_code,
            "144,00",
            "50,40",
            "93,60",
            "BC-2026-114",
            "ECOLES",
            "virement",
        ):
            assert expected in text, expected
        team.post(url, {"action": "paid"})
    booking.refresh_from_db()
    assert booking.state == "paid" and booking.paid_at is not None
    actions = set(AuditLogEntry.objects.filter(object_id=str(booking.pk)).values_list("action", flat=True))
    assert {"group.request", "group.confirm", "group.arrival", "group.invoice", "group.paid"} <= actions
    # The CRM knows the school, its teacher and the visit.
    affiliation = Affiliation.objects.get(contact=booking.contact)
    assert affiliation.organisation.name == "École élémentaire des Tilleuls"
    assert affiliation.organisation.kind == "school"
    visit = Interaction.objects.get(contact=booking.contact, kind=Interaction.Kind.GROUP)
    assert "24 élèves" in visit.summary and visit.performance_id == performance.pk


def test_a_group_never_takes_more_than_the_date_has(client):
    offer, (performance, _second) = _offer(capacity=40)
    for _ in range(3):
        buy(performance.tariffs.get(), 10)
    _ask(client, offer, performance, pupils=12, adults=2)
    booking = GroupBooking.objects.get()
    with pytest.raises(services.GroupError, match="en demande 14, il en reste 10"):
        services.confirm(actor=None, booking=booking, performance=performance)
    booking.refresh_from_db()
    assert booking.state == "requested" and booking.places == 0 and _used(performance) == 30
    assert booking.quote_number is None  # no number spent on a failed confirmation


def test_another_date_proposed_then_accepted_by_the_leader(client, django_capture_on_commit_callbacks):
    offer, (performance, second) = _offer()
    _ask(client, offer, performance)
    booking = GroupBooking.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.propose(actor=None, booking=booking, performance=second, message="Le 1er est complet.")
    assert "autre date" in mail.outbox[-1].subject
    page = Client().get(booking.get_absolute_url())
    assert b'data-testid="group-proposal"' in page.content
    assert Client().get(f"/groupes/{booking.code}/{booking.secret}/dossier-pedagogique/").status_code == 404
    Client().post(booking.get_absolute_url(), {"action": "accept"})
    booking.refresh_from_db()
    assert booking.state == "confirmed" and booking.performance == second and _used(second) == 31
    pack = Client().get(f"/groupes/{booking.code}/{booking.secret}/dossier-pedagogique/")
    assert pack.status_code == 200 and b"".join(pack.streaming_content).startswith(b"%PDF")
    assert Client().get(f"/groupes/{booking.code}/wrong-secret/").status_code == 404


def test_refusal_and_cancellation_give_the_places_back(client, django_capture_on_commit_callbacks):
    offer, (performance, _second) = _offer()
    _ask(client, offer, performance)
    _ask(client, offer, performance, leader_email="autre@ecole.example")
    first, other = GroupBooking.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse(actor=None, booking=first, reason="Plus de guide ce jour-là.")
    assert "Plus de guide" in mail.outbox[-1].body
    services.confirm(actor=None, booking=other, performance=performance)
    assert _used(performance) == 31
    services.cancel(actor=None, booking=other, reason="Grève des transports")
    assert _used(performance) == 0
    with pytest.raises(services.GroupError):
        services.confirm(actor=None, booking=first, performance=performance)


def test_a_request_is_checked_and_kept_when_refused(client):
    offer, (performance, _second) = _offer()
    too_big = _ask(client, offer, performance, pupils=40)
    assert too_big.status_code == 400 and "de 5 à 35" in too_big.content.decode()
    assert "Inès Garnier" in too_big.content.decode()  # what was typed stays
    company = _ask(client, offer, performance, audience="company")
    assert company.status_code == 400
    bad = _ask(client, offer, performance, uai="0139001Z", siret="123")
    assert (
        bad.status_code == 400
        and "UAI valable" in bad.content.decode()
        and "SIRET valable" in bad.content.decode()
    )
    no_date = _ask(client, offer, performance, dates=[])
    assert no_date.status_code == 400 and "au moins une date" in no_date.content.decode()
    assert not GroupBooking.objects.exists()


def test_the_directory_import_and_the_school_search(client):
    kept, skipped = establishments.import_directory(DIRECTORY)
    assert (kept, skipped) == (2, 1)
    assert establishments.import_directory(DIRECTORY) == (2, 1)  # again: updated, not doubled
    assert Establishment.objects.count() == 2
    assert [e.name for e in establishments.find("vieux marseille")] == ["Collège du Vieux-Port"]
    assert [e.kind for e in establishments.find(_uai("0139001"))] == ["ecole"]
    listed = client.get("/groupes/etablissements/", {"establishment_name": "tilleuls"})
    assert "École élémentaire des Tilleuls" in listed.content.decode()
    chosen = client.get("/groupes/etablissements/", {"uai": _uai("0139002")}).content.decode()
    assert f'value="{_uai("0139002")}"' in chosen and 'value="Collège du Vieux-Port"' in chosen
    assert establishments.siret_valid("73282932000074") and not establishments.siret_valid("73282932000075")


def test_guides_are_not_in_two_places_at_once(client):
    offer, (performance, _second) = _offer(capacity=100)
    guide = Guide.objects.create(organizer=offer.organizer, name="Léa Martin")
    _ask(client, offer, performance)
    _ask(client, offer, performance, leader_email="autre@ecole.example")
    first, other = GroupBooking.objects.order_by("pk")
    services.confirm(actor=None, booking=first, performance=performance, guide=guide)
    with pytest.raises(services.GroupError, match="Léa Martin"):
        services.confirm(actor=None, booking=other, performance=performance, guide=guide)
    services.confirm(actor=None, booking=other, performance=performance)  # without her: fine
    assert _used(performance) == 62


def test_staff_roles_tenants_and_the_week(client):
    offer, (performance, _second) = _offer()
    _ask(client, offer, performance)
    booking = GroupBooking.objects.get()
    url = f"/staff/o/{offer.organizer.slug}/groupes/{booking.code}/"
    programmer = Client()
    login_staff(programmer, staff(offer.organizer, Role.PROGRAMMING))
    assert programmer.get(url).status_code == 200
    assert programmer.post(url, {"action": "confirm", "performance": performance.pk}).status_code == 403
    outsider = Client()
    login_staff(outsider, staff(on_sale_performance().organizer, Role.ADMINISTRATOR))
    assert outsider.get(url).status_code in (403, 404)
    services.confirm(actor=None, booking=booking, performance=performance)
    day = timezone.localtime(performance.starts_at).date()
    week = programmer.get(f"/staff/o/{offer.organizer.slug}/groupes/semaine/", {"du": day.isoformat()})
    assert week.status_code == 200 and "École élémentaire des Tilleuls" in week.content.decode()
    exported = programmer.get(
        f"/staff/o/{offer.organizer.slug}/groupes/semaine/", {"du": day.isoformat(), "format": "csv"}
    ).content.decode("utf-8-sig")
    header, row = exported.splitlines()[:2]
    assert header.startswith("Date;Heure;Offre") and "École élémentaire des Tilleuls;CM1;28;3" in row


@pytest.mark.django_db(transaction=True)
def test_groups_and_public_buyers_racing_for_one_date_never_overfill_it():
    """Real threads on the real database (PostgreSQL in CI): 6 groups of 6 and 30 buyers of 1 for 40
    places; every place given is one the date had."""
    offer, (performance, _second) = _offer(capacity=40)
    seat = performance.tariffs.get()
    bookings = []
    for i in range(6):
        bookings.append(
            GroupBooking.objects.create(
                organizer=offer.organizer,
                offer=offer,
                audience="school",
                establishment_name=f"École {i}",
                pupils=5,
                adults=1,
                leader_name="R",
                leader_email=f"r{i}@ecole.example",
            )  # fmt: skip
        )
    barrier = threading.Barrier(12)

    def attempt(i):
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        try:
            if i < 6:
                services.confirm(actor=None, booking=bookings[i], performance=performance)
                return ("group", 6)
            cart = Cart.objects.create()
            sales.cart_add(cart=cart, tariff_id=seat.pk, quantity=1)
            return ("buyer", 1)
        except (services.GroupError, SaleError):
            return ("refused", 0)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, range(36)))
    taken = sum(n for _kind, n in outcomes)
    assert taken <= 40 and _used(performance) == taken
    held = sum(b.places for b in GroupBooking.objects.filter(state="confirmed"))
    assert held == 6 * sum(1 for kind, _n in outcomes if kind == "group")


def test_a_confirmed_class_gets_the_preparatory_online_visit_and_loses_it_if_cancelled(client):
    from parvis.online.models import OnlineContent

    offer, (performance, _second) = _offer()
    visit = on_sale_performance(organizer=offer.organizer, title="Visite virtuelle", days=-1)
    OnlineContent.objects.create(
        performance=visit, kind="on_demand", on_demand_days=30, link_url="https://v.example/"
    )
    offer.online_visit = visit
    offer.save()
    _ask(client, offer, performance)
    booking = GroupBooking.objects.get()
    assert b"group-online-visit" not in Client().get(booking.get_absolute_url()).content  # not before
    services.confirm(actor=None, booking=booking, performance=performance)
    page = Client().get(booking.get_absolute_url()).content.decode()
    link = page.split('data-testid="group-online-visit"')[0].rsplit('href="', 1)[1].split('"')[0]
    opened = Client().get(link)
    assert opened.status_code == 200 and b"online-external" in opened.content
    services.cancel(actor=None, booking=booking, reason="Sortie annulée")
    assert Client().get(link).status_code == 403


def test_a_class_counts_in_the_declarations_as_its_people(client):
    from parvis.declarations.revenue import excluding_vat, valid_sold

    offer, (performance, _second) = _offer()
    buy(performance.tariffs.get(), 2)  # 2 × 14 €
    _ask(client, offer, performance, pupils=24, adults=3)
    booking = GroupBooking.objects.get()
    assert len(valid_sold([performance.pk])[performance.pk]) == 2  # a request holds nothing
    services.confirm(actor=None, booking=booking, performance=performance)
    sold = valid_sold([performance.pk])[performance.pk]
    # 24 pupils at 6 € and 3 free adults (one per 8 pupils) beside the 2 tickets.
    assert len(sold) == 29 and sum(s.amount for s in sold) == Decimal("172.00")
    assert sum(1 for s in sold if s.amount == 0) == 3
    services.arrival(actor=None, booking=booking, pupils=20, adults=2)
    sold = valid_sold([performance.pk])[performance.pk]
    assert len(sold) == 24 and sum(s.amount for s in sold) == Decimal("148.00")  # 28 + 20 × 6
    base, by_rate = excluding_vat(sold)
    assert by_rate[Decimal("5.50")] == Decimal("148.00")


def test_a_workshop_room_holds_one_group_at_a_time_and_slots_count(client):
    from parvis.network.models import Space
    from parvis.ticketing import services as catalogue

    offer, (performance, _second) = _offer(capacity=100, needs_room=True)
    room = Space.objects.create(venue=performance.venue, name="Atelier du rez-de-chaussée")
    _ask(client, offer, performance)
    _ask(client, offer, performance, leader_email="autre@ecole.example")
    first, other = GroupBooking.objects.order_by("pk")
    with pytest.raises(services.GroupError, match="salle"):
        services.confirm(actor=None, booking=first, performance=performance)  # a workshop needs its room
    services.confirm(actor=None, booking=first, performance=performance, room=room)
    with pytest.raises(services.GroupError, match="Atelier du rez-de-chaussée"):
        services.confirm(actor=None, booking=other, performance=performance, room=room)
    # A timed-entry date: the group's places come from its slot too.
    four_hours = _second.starts_at + datetime.timedelta(hours=4)
    type(_second).objects.filter(pk=_second.pk).update(ends_at=four_hours)
    _second.refresh_from_db()
    (slot, *_rest) = catalogue.timed_slots_create(
        actor=None, performance=_second, every_minutes=60, capacity=35
    )
    services.confirm(actor=None, booking=other, performance=_second, slot=slot, room=room)
    assert Quota.objects.get(pk=slot.pk).used == 31 and _used(_second) == 31


def test_the_lycees_shipped_with_parvis_are_found_by_uai_and_name():
    kept, skipped = establishments.import_vendored()
    assert kept > 5000 and skipped == 0  # every UAI of the extract has its right check letter
    (school,) = establishments.find("0801206b")
    assert (school.name, school.postcode, school.kind) == ("LYCÉE SAINT-PIERRE", "80103", "lycee")
    assert not school.public  # the extract does not say: nothing is asserted
    assert "0010006B" in [s.uai for s in establishments.find("lycee saint-exupery 01206")]  # any accents
    assert establishments.import_vendored() == (kept, 0)  # again: updated, not doubled
    assert Establishment.objects.count() == kept
