"""Sending a quarter to a local SIBIL the test starts: every ready performance declared once with its
figures, the others waiting; refused credentials (401 or 200), a field rejected, SIBIL unavailable
half-way, an answer lost after a save, a timeout: run again, nothing declared twice, nothing lost."""

import datetime

import pytest
from django.urls import reverse

from parvis.declarations import sibil, sibil_send
from parvis.declarations.models import GenreDomain, SibilAccount, SibilDeclaration, SibilDomain
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
    sibil_send.domains_refresh(client)
    GenreDomain.objects.create(organizer=organizer, genre="jazz", domain=SibilDomain.objects.get(id=7))
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
    assert SibilDeclaration.objects.get(performance=dates[0]).ext_id == first.ext_id  # never changed


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
