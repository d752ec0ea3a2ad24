"""Shared test helpers: factories for the tenancy and the programming."""

import datetime
import zoneinfo

import factory
from django.conf import settings
from django.contrib.auth import get_user_model

from parvis.network.models import Network, NetworkMembership, Organizer, OrganizerStaff, Venue
from parvis.programming.models import Event, EventStatus, Genre, Performance

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}@example.org")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("correct-horse-battery")


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    slug = factory.Sequence(lambda n: f"network-{n}")
    name = factory.Sequence(lambda n: f"Réseau {n}")


class OrganizerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organizer

    slug = factory.Sequence(lambda n: f"organizer-{n}")
    name = factory.Sequence(lambda n: f"Structure {n}")


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    organizer = factory.SubFactory(OrganizerFactory)
    slug = factory.Sequence(lambda n: f"venue-{n}")
    name = factory.Sequence(lambda n: f"Salle {n}")
    town = "Paris"
    postcode = "75011"
    capacity = 200


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    organizer = factory.SubFactory(OrganizerFactory)
    slug = factory.Sequence(lambda n: f"event-{n}")
    title = factory.Sequence(lambda n: f"Concert {n}")
    genre = Genre.JAZZ
    status = EventStatus.PUBLISHED


class PerformanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Performance

    event = factory.SubFactory(EventFactory)
    organizer = factory.SelfAttribute("event.organizer")
    venue = factory.SubFactory(VenueFactory, organizer=factory.SelfAttribute("..event.organizer"))
    starts_at = factory.LazyFunction(
        lambda: (
            datetime.datetime.now(tz=PARIS).replace(hour=20, minute=30, second=0, microsecond=0)
            + datetime.timedelta(days=3)
        )
    )


def staff(organizer: Organizer, role: str, **user_fields):
    user = UserFactory(**user_fields)
    OrganizerStaff.objects.create(organizer=organizer, user=user, role=role)
    return user


def join(network: Network, *organizers: Organizer) -> None:
    for organizer in organizers:
        NetworkMembership.objects.get_or_create(network=network, organizer=organizer)


def local(year: int, month: int, day: int, hour: int = 20, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def login_staff(client, user) -> None:
    """Log a staff member in as if they had passed two-factor authentication."""
    client.force_login(user)
    session = client.session
    session["parvis_2fa_verified"] = True
    session.save()


def session_update(client, **values) -> None:
    """Put values in the test client's session (a buyer's session lives in its cookie, whose value changes
    with what it holds: the client is given the new one)."""

    session = client.session
    session.update(values)
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
