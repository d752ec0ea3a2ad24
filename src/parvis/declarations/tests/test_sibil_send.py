"""Sending a quarter to a local SIBIL the test starts: every ready performance declared once with its
figures, the others waiting; refused credentials (401 or 200), a field rejected, SIBIL unavailable
half-way, an answer lost after a save, a timeout: run again, nothing declared twice, nothing lost."""

import datetime

import pytest
from django.urls import reverse

from parvis.declarations import sibil, sibil_send
from parvis.declarations.models import (
    GenreDomain,
    SibilAccount,
    SibilDeclaration,
    SibilDomain,
    SibilPlaceType,
    SibilShow,
    SibilVenue,
)
from parvis.declarations.sibil_client import SibilClient
from parvis.network.models import Role
from parvis.passes.tests.factories import club, concert
from parvis.programming.models import Performance
from parvis.testing import login_staff, staff
from parvis.ticketing.models import Tariff
from parvis.ticketing.tests.factories import buy

from .fake_sibil import FakeSibil

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    server = FakeSibil()
    yield server
    server.stop()


@pytest.fixture
def quarter(network, fake):
    organizer = club(network, "club-envoi")
    organizer.siret = "12345678900011"
    organizer.save()
    SibilAccount.objects.create(organizer=organizer, username="declarant", password="secret")
    dates = []
    for n, days in enumerate((2, 3, 4)):
        performance = concert(organizer, days=days, price="20.00", genre="jazz", title=f"Concert {n}")
        starts = datetime.datetime(2030, 5, 10 + n, 20, 30, tzinfo=sibil.PARIS)  # one quarter, whenever run
        Performance.objects.filter(pk=performance.pk).update(capacity=200, starts_at=starts)
        performance.refresh_from_db()
        buy(Tariff.objects.get(performance=performance), n + 1)
        dates.append(performance)
    year, q = sibil.quarter_of(dates[0].starts_at)
    assert all(sibil.quarter_of(p.starts_at) == (year, q) for p in dates)  # the fixture's dates share one
    client = SibilClient("declarant", "secret", base_url=fake.url, timeout=2)
    assert sibil_send.lists_refresh(client) == {"domains": 2, "place_types": 4}
    GenreDomain.objects.create(organizer=organizer, genre="jazz", domain=SibilDomain.objects.get(id=7))
    SibilVenue.objects.create(venue=dates[0].venue, place_type_id="SALLE_CONCERT_AUDITORIUM_OPERA_ZENITH")
    for n, performance in enumerate(dates):
        SibilShow.objects.create(event=performance.event, criteria={"critere2": f"Quartet {n}"})
    return organizer, dates, (year, q), client


def _send(organizer, when, fake, **options):
    client = SibilClient("declarant", "secret", base_url=fake.url, timeout=options.pop("timeout", 2))
    return sibil_send.quarter_send(organizer, *when, client=client)


def test_a_quarter_is_declared_once_with_its_figures(quarter, fake):
    organizer, dates, when, _client = quarter
    assert SibilDomain.objects.get(id=12).label == "Théâtre"
    summary = _send(organizer, when, fake)
    assert summary == {"sent": 3, "rejected": 0, "waiting": 0, "error": ""}
    sent = sorted(fake.declarations.values(), key=lambda d: d["nbBilletsTotalBilletterie"])
    assert [d["nbBilletsTotalBilletterie"] for d in sent] == [1, 2, 3]
    assert [d["recetteTotalBilletterie"] for d in sent] == [20.0, 40.0, 60.0]
    assert {d["domaineRepresentationId"] for d in sent} == {7} and {d["jauge"] for d in sent} == {200}
    first = SibilDeclaration.objects.get(performance=dates[0])
    assert first.status == "ENREGISTRE" and first.sibil_id and len(first.ext_id) <= 16
    paris = dates[0].starts_at.astimezone(sibil.PARIS).isoformat(timespec="seconds")
    assert sent[0]["dateHeureRepresentationUnique"] == paris  # in Paris time, with its offset
    again = _send(organizer, when, fake)  # a second run updates the same declarations
    assert again["sent"] == 3 and len(fake.declarations) == 3
    assert len(fake.lieux) == 1 and len(fake.spectacles) == 3  # looked up by their ids, not proposed again
    assert SibilVenue.objects.get().sibil_id in fake.lieux
    assert SibilDeclaration.objects.get(performance=dates[0]).ext_id == first.ext_id  # never changed
    assert sent[0]["lieuChamps"]["typeLieu"] == "SALLE_CONCERT_AUDITORIUM_OPERA_ZENITH"
    assert sent[0]["spectacleChamps"] == {
        "domaineSpectacleId": 7,
        "critere1": "Concert 0",
        "critere2": "Quartet 0",
    }
    assert "festivalChamps" not in sent[0] and not sent[0]["gestionnaireMultiple"]
    from parvis.declarations.models import PerformanceTax

    PerformanceTax.objects.create(performance=dates[0], share=50)  # a co-production: two managers declare
    _send(organizer, when, fake)
    assert fake.declarations[first.sibil_id]["gestionnaireMultiple"] is True


def test_refused_credentials_send_nothing_whatever_the_status(quarter, fake):
    organizer, _dates, when, _client = quarter
    SibilAccount.objects.filter(organizer=organizer).update(password="wrong")
    for status in (401, 200):
        fake.refused_login_status = status
        summary = sibil_send.quarter_send(
            organizer, *when, client=sibil_send.client_for(organizer, base_url=fake.url)
        )
        assert summary["sent"] == 0 and "identifiant ou le mot de passe" in summary["error"]
    assert fake.declarations == {}


def test_unavailable_half_way_then_run_again(quarter, fake):
    organizer, _dates, when, _client = quarter
    fake.unavailable_after = 1
    summary = _send(organizer, when, fake)
    assert summary["sent"] == 1 and "indisponible" in summary["error"] and len(fake.declarations) == 1
    assert SibilDeclaration.objects.exclude(error="").count() == 1
    fake.unavailable_after = None
    assert _send(organizer, when, fake)["sent"] == 3 and len(fake.declarations) == 3


def test_an_answer_lost_after_a_save_is_not_declared_twice(quarter, fake):
    organizer, _dates, when, _client = quarter
    fake.lose_answer_of_save = 1  # SIBIL stores the first, the answer never arrives
    assert _send(organizer, when, fake)["error"]
    assert len(fake.declarations) == 1 and not SibilDeclaration.objects.exclude(sibil_id=None).exists()
    fake.lose_answer_of_save = None
    assert _send(organizer, when, fake)["sent"] == 3
    assert len(fake.declarations) == 3  # found by its external id and updated, not created again


def test_a_timeout_and_a_rejected_field(quarter, fake):
    organizer, dates, when, _client = quarter
    fake.delay = 0.6
    assert "ne répond pas" in _send(organizer, when, fake, timeout=0.3)["error"]
    fake.delay = 0
    fake.reject = lambda dto: (
        "Jauge inférieure au nombre de billets" if dto["nbBilletsTotalBilletterie"] == 2 else ""
    )
    summary = _send(organizer, when, fake)
    assert (summary["sent"], summary["rejected"]) == (2, 1)
    rejected = SibilDeclaration.objects.get(performance=dates[1])
    assert rejected.status == "REJETE" and "Jauge inférieure" in rejected.error


def test_a_performance_to_fix_or_without_domain_waits(quarter, fake):
    organizer, dates, when, _client = quarter
    Performance.objects.filter(pk=dates[0].pk).update(capacity=None)
    dates[0].venue.__class__.objects.filter(pk=dates[0].venue_id).update(capacity=None)
    GenreDomain.objects.filter(organizer=organizer).delete()
    assert _send(organizer, when, fake) == {"sent": 0, "rejected": 0, "waiting": 3, "error": ""}
    assert fake.declarations == {} and not SibilDeclaration.objects.exists()


def test_the_administrator_sends_from_the_review_page_and_others_may_not(
    client, quarter, fake, settings, django_capture_on_commit_callbacks
):
    organizer, dates, (year, q), _client = quarter
    settings.SIBIL_URL = fake.url
    url = reverse("staff:sibil_quarter", args=[organizer.slug])
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="guichet@example.org"))
    assert client.post(url, {"action": "send", "trimestre": f"{year}-{q}"}).status_code == 403
    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="admin@example.org"))
    client.post(
        url, {"action": "account", "username": "declarant", "password": "secret", "trimestre": f"{year}-{q}"}
    )
    client.post(url, {"action": "domains", "trimestre": f"{year}-{q}"})
    client.post(url, {"action": "map", "genre-jazz": "12", "trimestre": f"{year}-{q}"})
    assert GenreDomain.objects.get(organizer=organizer, genre="jazz").domain_id == 12
    page = client.get(url, {"trimestre": f"{year}-{q}"}).content.decode()
    assert "Metteur en scène" in page and "Artiste principal" not in page  # the theatre domain's criteria
    with django_capture_on_commit_callbacks(execute=True):  # the sending is a background task
        answer = client.post(url, {"action": "send", "trimestre": f"{year}-{q}"}, follow=True)
    assert "Envoi lancé" in answer.content.decode() and len(fake.declarations) == 3
    assert SibilAccount.objects.get(organizer=organizer).run_summary["sent"] == 3
    assert {d["domaineRepresentationId"] for d in fake.declarations.values()} == {12}
    page = client.get(url, {"trimestre": f"{year}-{q}"}).content.decode()
    assert page.count("Enregistrée") == 3 and "secret" not in page
    assert "envoyées 3 ; rejetées 0 ; en attente 0." in page


def test_statuses_are_read_back_with_sibils_reason(quarter, fake):
    organizer, dates, when, _client = quarter
    assert _send(organizer, when, fake)["sent"] == 3
    declared = SibilDeclaration.objects.get(performance=dates[2])
    stored = fake.declarations[declared.sibil_id]
    stored.update(statutDeclaration="REJETE", motifRejet="Jauge incohérente avec le lieu")
    fake.declarations[SibilDeclaration.objects.get(performance=dates[0]).sibil_id]["statutDeclaration"] = (
        "CLOTURE"
    )
    client = SibilClient("declarant", "secret", base_url=fake.url, timeout=2)
    assert sibil_send.statuses_refresh(organizer, *when, client=client) == {
        "read": 3,
        "changed": 2,
        "error": "",
    }
    declared.refresh_from_db()
    assert (declared.status, declared.error) == ("REJETE", "Jauge incohérente avec le lieu")
    assert SibilDeclaration.objects.get(performance=dates[0]).status == "CLOTURE"
    fake.unavailable_after = 0
    fake.stop()
    assert sibil_send.statuses_refresh(organizer, *when, client=client)[
        "error"
    ]  # SIBIL away: said, no change
    assert SibilDeclaration.objects.get(performance=dates[0]).status == "CLOTURE"


def test_sibils_lists_are_kept_with_each_domains_criteria_and_the_venue_types(quarter, fake):
    _organizer, _dates, _when, client = quarter
    concert_domain = SibilDomain.objects.get(id=7)
    assert [c["short"] for c in concert_domain.criteria_asked()] == ["Artiste principal", "Première partie"]
    assert [c["rule"] for c in concert_domain.criteria_asked()] == ["OBLIGATOIRE", "FACULTATIF"]
    assert SibilPlaceType.objects.get(code="THEATRE").label == "Théâtre"
    fake.domains.pop()  # SIBIL's administrators withdraw a domain; an empty list of types changes nothing
    fake.place_types = []
    assert sibil_send.lists_refresh(client) == {"domains": 1, "place_types": 0}
    assert not SibilDomain.objects.get(id=12).active
    assert SibilPlaceType.objects.filter(active=True).count() == 4


def test_a_date_waits_for_its_venue_type_and_mandatory_criteria_then_goes_with_its_festival(
    quarter, fake, network
):
    from parvis.programming.models import Festival

    organizer, dates, when, _client = quarter
    SibilVenue.objects.all().delete()
    SibilShow.objects.filter(event=dates[1].event).update(
        criteria={"critere3": "Trio"}
    )  # not the mandatory one
    rows = sibil.quarter_rows(organizer, *when)
    assert all(any("Type de lieu SIBIL" in w for w in r.warnings) for r in rows)
    assert any("« Artiste principal » à indiquer pour « Concert 1 »" in w for w in rows[1].warnings)
    assert _send(organizer, when, fake)["waiting"] == 3 and fake.declarations == {}

    SibilVenue.objects.create(venue=dates[0].venue, place_type_id="CASINO_DISCOTHEQUE_HOTEL_CAFE_RESTAURANT")
    day = dates[2].starts_at.astimezone(sibil.PARIS).date()
    festival = Festival.objects.create(
        network=network, slug="jazz-mai", name="Jazz en mai", starts_on=day, ends_on=day
    )
    festival.events.add(dates[2].event, dates[1].event)  # the 2nd date is the day before: not in the festival
    summary = _send(organizer, when, fake)
    assert (summary["sent"], summary["waiting"]) == (2, 1)
    sent = {d["spectacleChamps"]["critere1"]: d for d in fake.declarations.values()}
    assert sent["Concert 2"]["festivalChamps"] == {
        "nom": "Jazz en mai",
        "codePostal": "75011",
        "ville": "Paris",
    }
    assert "festivalChamps" not in sent["Concert 0"]
    assert sent["Concert 0"]["lieuChamps"]["typeLieu"] == "CASINO_DISCOTHEQUE_HOTEL_CAFE_RESTAURANT"
    # The venue SIBIL learnt with the first declaration is named by its id in the next: one venue in its list.
    assert len(fake.lieux) == 1 and sent["Concert 2"]["lieuId"] == sent["Concert 0"]["lieuId"]
    assert len(fake.spectacles) == 2 and len(fake.festivals) == 1


def test_sibil_refuses_in_its_own_words(quarter, fake):
    organizer, dates, when, _client = quarter
    SibilShow.objects.filter(event=dates[0].event).update(criteria={"critere2": " "})
    SibilDomain.objects.filter(id=7).update(criteria=[])  # Parvis's copy of the list is out of date
    summary = _send(organizer, when, fake)
    assert (summary["sent"], summary["rejected"]) == (2, 1)
    refused = SibilDeclaration.objects.get(performance=dates[0])
    assert refused.status == "REJETE" and refused.error == "Le champ Artiste principal est obligatoire"


def test_staff_choose_venue_types_and_write_criteria_on_the_review_page(client, quarter, fake):
    organizer, dates, (year, q), _client = quarter
    SibilVenue.objects.all().delete()
    SibilShow.objects.all().delete()
    url = reverse("staff:sibil_quarter", args=[organizer.slug])
    viewer = staff(organizer, Role.BOX_OFFICE, username="guichet@example.org")
    login_staff(client, viewer)
    page = client.get(url, {"trimestre": f"{year}-{q}"}).content.decode()
    assert "Type de lieu SIBIL à choisir" in page and 'name="venue-' not in page  # reads, does not edit
    assert client.post(url, {"action": "places", "trimestre": f"{year}-{q}"}).status_code == 403
    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="admin@example.org"))
    page = client.get(url, {"trimestre": f"{year}-{q}"}).content.decode()
    assert (
        "Artiste ou groupe en tête d&#x27;affiche" in page and page.count('data-testid="sibil-criteria"') == 3
    )
    venue = dates[0].venue
    client.post(url, {"action": "places", f"venue-{venue.pk}": "NOT_A_TYPE", "trimestre": f"{year}-{q}"})
    assert not SibilVenue.objects.exists()  # a code out of SIBIL's list is not kept
    client.post(url, {"action": "places", f"venue-{venue.pk}": "THEATRE", "trimestre": f"{year}-{q}"})
    assert SibilVenue.objects.get(venue=venue).place_type_id == "THEATRE"
    for performance in dates:
        client.post(
            url,
            {"action": "criteria", "event": performance.event_id, "critere2": " Nina ", "critere4": "x",
             "trimestre": f"{year}-{q}"},
        )  # fmt: skip
    assert SibilShow.objects.get(event=dates[0].event).criteria == {
        "critere2": "Nina"
    }  # the domain asks no 4th
    answer = client.post(
        url, {"action": "criteria", "event": 999999, "trimestre": f"{year}-{q}"}, follow=True
    )
    assert "pas à déclarer ce trimestre" in answer.content.decode()
    assert all(r.warnings == [] for r in sibil.quarter_rows(organizer, year, q))
