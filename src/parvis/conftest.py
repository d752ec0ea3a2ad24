import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from parvis.core import testing


@pytest.fixture(autouse=True)
def _clear_cache():
    """The shared cache, and what a process keeps of rows: a rolled-back test may leave ids that SQLite
    gives again to the next test's rows."""
    from parvis.ticketing.signing import forget_current_keys

    cache.clear()
    forget_current_keys()
    yield
    cache.clear()
    forget_current_keys()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English must not leave English active for the next test of the same thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def network(db):
    return testing.NetworkFactory(slug="jazz", name="Jazz réseau")


@pytest.fixture
def organizer(db, network):
    organizer = testing.OrganizerFactory(slug="club-a", name="Club A")
    testing.join(network, organizer)
    return organizer


@pytest.fixture
def other_organizer(db, network):
    organizer = testing.OrganizerFactory(slug="club-b", name="Club B")
    testing.join(network, organizer)
    return organizer


@pytest.fixture
def venue(organizer):
    return testing.VenueFactory(organizer=organizer, slug="salle-a", name="Salle A", town="Montreuil")


CHROMIUM = os.environ.get("PARVIS_CHROMIUM", "/usr/bin/chromium")


# One Chromium for the whole session, shared by every app's browser tests (marker "browser").
@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(10_000)
    failed_requests = []
    downloads = set()
    page.on("download", lambda download: downloads.add(download.url))
    page.on("requestfailed", lambda request: failed_requests.append(request.url))
    yield page
    context.close()
    # A download ends the page's request (net::ERR_ABORTED): it is not a failure.
    failed_requests = [url for url in failed_requests if url not in downloads]
    assert not failed_requests, failed_requests


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(scope="session", autouse=True)
def _journal_flush_allowed():
    """The test database is emptied between transactional tests: let that purge through the journal's
    guard (SQLite empties tables with DELETE; PostgreSQL's TRUNCATE does not fire the row triggers)."""
    from django.core.management.commands import flush

    from parvis.boxoffice.db import purge_allowed

    original = flush.Command.handle

    def handle(self, *args, **options):
        with purge_allowed():
            return original(self, *args, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original
