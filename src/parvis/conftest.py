import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from parvis.core import testing


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


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
