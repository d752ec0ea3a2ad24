"""The contact pages in Chromium: searched, opened, a note added; no serious accessibility violation."""

import pytest

from parvis.network.models import Role
from parvis.testing import staff
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff
from parvis.web.tests.conftest import axe_violations, htmx_settled, staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketing_finds_a_buyer_reads_the_timeline_and_adds_a_note(page):
    performance = on_sale_performance()
    order = buy(tariff(performance, price="18.00"), 2)
    user = staff(performance.organizer, Role.MARKETING, username="com@club.example")
    staff_login(page, user)
    page.get_by_role("link", name="Publics").click()
    page.get_by_placeholder("Nom, e-mail ou téléphone").fill("lima")
    page.get_by_role("button", name="Rechercher").click()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Ana Lima").click()
    assert order.code in page.inner_text("#timeline")
    assert page.inner_text("#total-spend").startswith("36")
    page.get_by_label("Note").fill("Préfère les places en bord d'allée")
    page.get_by_role("button", name="Ajouter la note").click()
    assert "bord d'allée" in page.inner_text("#timeline")
    assert axe_violations(page) == []


def test_marketing_builds_a_three_rule_segment_sees_the_count_saves_and_exports(page):
    from parvis.crm import segments
    from parvis.crm.models import Segment
    from parvis.crm.tests.test_segments import _world

    org, _venues, _performances, _tags, _rng = _world(n=40)
    user = staff(org, Role.MARKETING, username="seg@club.example")
    staff_login(page, user)
    page.goto(f"/staff/o/{org.slug}/publics/segments/")
    page.get_by_role("link", name="Nouveau segment").click()
    page.get_by_label("Nom du segment").fill("Curieux de jazz")
    # Choosing a condition redraws the builder. Wait until htmx has put the new one in place and wired it
    # (a change in the few milliseconds before that would go unheard; a person is never that quick).
    for n, (field, value) in enumerate(
        [("attended_genre", "jazz"), ("visits_at_least", "1"), ("consent", "organizer_newsletter")], start=1
    ):
        page.get_by_role("button", name="Ajouter une condition").click()
        page.get_by_label(f"Condition {n}").wait_for()
        if field != "attended_genre":  # the new condition's default: choosing it again redraws nothing new
            with page.expect_response(lambda r: "action=refresh" in (r.request.post_data or "")):
                page.get_by_label(f"Condition {n}").select_option(field)
            htmx_settled(page)
        if field == "visits_at_least":
            page.get_by_label(f"Valeur {n}").fill(value)
        else:
            page.get_by_label(f"Valeur {n}").select_option(value)
    definition = {
        "op": "and",
        "groups": [
            {
                "op": "and",
                "rules": [
                    {"field": "attended_genre", "value": "jazz"},
                    {"field": "visits_at_least", "value": "1"},
                    {"field": "consent", "value": "organizer_newsletter"},
                ],
            }
        ],
    }
    expected = segments.contacts_of(org, definition).count()
    page.locator("#segment-count strong", has_text=str(expected)).wait_for()  # the live count, through htmx
    assert axe_violations(page) == []
    page.get_by_role("button", name="Enregistrer le segment").click()
    page.wait_for_url("**/segments/*/")
    segment = Segment.objects.get(name="Curieux de jazz")
    assert segments.members(segment).count() == expected
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter (CSV)").click()
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert content.count("\n") == 1 + expected
