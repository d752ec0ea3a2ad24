"""« Vous aimerez aussi » on a phone (issue 23): the section reads well on a small screen, passes axe,
and a suggestion leads to its show."""

import pytest
from playwright.sync_api import expect

from parvis.recommendations import training
from parvis.web.tests.conftest import axe_violations

from .test_event_page import catalogue  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_on_a_phone_sees_what_else_to_book_and_follows_a_suggestion(
    phone_page,
    organizer,
    catalogue,  # noqa: F811
):
    training.train_organizer(organizer)
    page = phone_page
    page.goto(catalogue["source"].event.get_absolute_url())

    section = page.get_by_role("region", name="Vous aimerez aussi")
    expect(section).to_be_visible()
    expect(section.get_by_role("listitem").filter(has_text="Trio du soir")).to_contain_text(
        "Le public de « Quartet » l'a aussi choisi"
    )
    expect(section).not_to_contain_text("Complet")
    assert axe_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone

    section.get_by_role("link", name="Ballades").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ballades")
