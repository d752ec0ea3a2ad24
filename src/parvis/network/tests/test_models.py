import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from parvis.network.models import OrganizerStaff, Role, Venue
from parvis.testing import OrganizerFactory, UserFactory, VenueFactory

pytestmark = pytest.mark.django_db


def test_venue_slug_unique_per_organizer_only():
    a, b = OrganizerFactory(), OrganizerFactory()
    VenueFactory(organizer=a, slug="salle")
    VenueFactory(organizer=b, slug="salle")
    with pytest.raises(IntegrityError), transaction.atomic():
        VenueFactory(organizer=a, slug="salle")


def test_venue_time_zone_and_coordinates_are_validated():
    venue = Venue(
        organizer=OrganizerFactory(), slug="x", name="X", town="Paris", timezone="Mars/Olympus", latitude=123
    )
    with pytest.raises(ValidationError) as exc:
        venue.full_clean()
    assert set(exc.value.message_dict) == {"timezone", "latitude"}


def test_role_values_are_constrained_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizerStaff.objects.create(organizer=OrganizerFactory(), user=UserFactory(), role="emperor")


def test_same_role_twice_is_refused():
    organizer, user = OrganizerFactory(), UserFactory()
    OrganizerStaff.objects.create(organizer=organizer, user=user, role=Role.DOOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizerStaff.objects.create(organizer=organizer, user=user, role=Role.DOOR)
