import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from parvis import testing


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
    yield from _watched_page(context)


def _watched_page(context):
    """A page of ``context``: its test fails if the browser drops a request not ended on purpose."""
    page = context.new_page()
    page.set_default_timeout(10_000)
    failed_requests = []
    downloads = set()
    page.on("download", lambda download: downloads.add(download.url))
    page.on("requestfailed", lambda request: failed_requests.append(_failure(request)))
    yield page
    context.close()
    failed_requests = [failure for failure in failed_requests if not _by_design(failure, downloads)]
    assert not failed_requests, failed_requests


def _failure(request) -> tuple[str, str, bool]:
    return request.url, request.failure or "", request.headers.get("hx-request") == "true"


def _by_design(failure: tuple[str, str, bool], downloads: set[str]) -> bool:
    """Whether a request the browser gave up is no fault: the page ended it on purpose.

    A download ends the page's request; htmx abandons a request a newer one replaces (``hx-sync``), or one
    still under way when the person leaves the page; the browser drops the tab's icon when the page it was
    fetched for is left; a campaign's preview frame still loading (another contact or language chosen) is
    dropped when the page is left. Each is reported as net::ERR_ABORTED. Any other failure, and any other
    aborted request (a stylesheet, a script, a page), is a fault.
    """
    url, error, htmx = failure
    icon = url.endswith("/static/parvis/favicon.svg")
    preview = "/campagnes/" in url and "/apercu/" in url
    return url in downloads or ((htmx or icon or preview) and error == "net::ERR_ABORTED")


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
    yield from _watched_page(context)


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
