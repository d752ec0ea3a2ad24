import pytest
from django.core.cache import cache

from parvis.core import testing


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


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
