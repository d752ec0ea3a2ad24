"""An administrator reviews last quarter's SIBIL declarations: fixes the missing SIRET in place, gives
SIBIL's login, fetches its domains and maps the genres, sends to a local fake SIBIL and sees each status;
then decides the tax body of a circus show on the taxe sur les spectacles page. axe-core finds no serious
violation."""

import datetime

import pytest
from playwright.sync_api import expect

from parvis.declarations import sibil
from parvis.network.models import Role
from parvis.passes.tests.factories import club, concert
from parvis.programming.models import Genre, Performance
from parvis.testing import staff
from parvis.ticketing.models import Tariff
from parvis.ticketing.tests.factories import buy
from parvis.web.tests.conftest import admin_login, axe_violations

from .fake_sibil import FakeSibil

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake():
    server = FakeSibil()
    yield server
    server.stop()


def _last_quarter(organizer):
    """A jazz concert and a circus evening of the previous quarter, with tickets sold before."""
    year, quarter = sibil.quarter_of(datetime.datetime.now(sibil.PARIS))
    year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    start = sibil.quarter_bounds(year, quarter)[0] + datetime.timedelta(days=20, hours=20)
    for n, (title, genre) in enumerate((("Nuit bleue", Genre.JAZZ), ("Voltige", Genre.CIRCUS))):
        performance = concert(organizer, days=3, price="18.00", genre=genre, title=title)
        buy(Tariff.objects.get(performance=performance), 3 - n)
        Performance.objects.filter(pk=performance.pk).update(starts_at=start + datetime.timedelta(days=n))
    return year, quarter


def test_an_administrator_reviews_fixes_and_sends_the_quarter(page, network, fake, settings):
    settings.SIBIL_URL = fake.url
    organizer = club(network, "club-sibil")
    year, quarter = _last_quarter(organizer)
    admin_login(page, staff(organizer, Role.ADMINISTRATOR, username="admin@club.example"))

    page.goto(f"/staff/o/{organizer.slug}/sibil/?trimestre={year}-{quarter}")
    expect(page.get_by_test_id("sibil-to-fix")).to_contain_text("2 représentations")
    assert axe_violations(page) == []
    page.get_by_label("SIRET (14 chiffres)").fill("123 456 789 00011")
    page.get_by_role("button", name="Enregistrer le SIRET").click()
    expect(page.get_by_text("SIRET enregistré.")).to_be_visible()
    expect(page.get_by_text("SIRET de la structure manquant")).to_have_count(0)

    page.get_by_label("Identifiant", exact=True).fill("declarant")
    page.get_by_label("Mot de passe (jamais réaffiché)").fill("secret")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_role(
        "button", name="Recevoir les listes de SIBIL (domaines, critères, types de lieu)"
    ).click()
    expect(page.get_by_text("Reçus de SIBIL : 2 domaines, 4 types de lieu.")).to_be_visible()
    page.get_by_label("Jazz").select_option(label="Concert de musiques actuelles")
    page.get_by_label("Cirque").select_option(label="Théâtre")
    page.get_by_role("button", name="Enregistrer les domaines").click()
    expect(page.get_by_test_id("sibil-to-fix")).to_contain_text("2 représentations")  # the venue's type
    page.get_by_label("Salle club-sibil").select_option(label="Théâtre")
    page.get_by_role("button", name="Enregistrer les types de lieu").click()
    expect(page.get_by_test_id("sibil-to-fix")).to_contain_text("1 représentation ")  # the jazz's headliner
    assert axe_violations(page) == []
    jazz = page.get_by_test_id("sibil-criteria").filter(has_text="Nuit bleue")
    jazz.get_by_label("Artiste principal (obligatoire)").fill("Quartette Bleu")
    jazz.get_by_role("button", name="Enregistrer ces critères").click()
    expect(page.get_by_text("Critères enregistrés pour « Nuit bleue ».")).to_be_visible()
    expect(page.get_by_test_id("sibil-to-fix")).to_have_count(0)

    page.get_by_test_id("sibil-send").click()
    expect(page.get_by_text("Envoi lancé")).to_be_visible()
    page.reload()  # the worker has sent it (the tests' task backend runs it at once)
    expect(page.get_by_test_id("sibil-run")).to_contain_text("envoyées 2 ; rejetées 0 ; en attente 0.")
    expect(page.get_by_test_id("sibil-status")).to_have_text(["Enregistrée", "Enregistrée"])
    assert sorted(d["nbBilletsTotalBilletterie"] for d in fake.declarations.values()) == [2, 3]
    assert {d["lieuChamps"]["typeLieu"] for d in fake.declarations.values()} == {"THEATRE"}

    page.get_by_role("link", name="Taxe spectacles").first.click()
    page.goto(
        page.url.split("?")[0]
        + f"?mois={(sibil.quarter_bounds(year, quarter)[0] + datetime.timedelta(days=25)):%Y-%m}"
    )
    expect(page.get_by_test_id("tax-warning").filter(has_text="cirque")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Voltige").select_option(label="Aucun (hors champ de la taxe)")
    page.get_by_role("button", name="Confirmer").nth(1).click()
    expect(page.get_by_text("« Voltige » : Aucun (hors champ de la taxe).")).to_be_visible()
    expect(page.get_by_test_id("tax-warning").filter(has_text="cirque")).to_have_count(0)
