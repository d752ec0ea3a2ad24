"""Shared test helpers: factories for the tenancy and the programming."""

import datetime
import functools
import json
import re
import zoneinfo

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve

from parvis.api.api import api
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


# -- The API's contract, checked on every answer the tests observe ------------------------------------------

_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@functools.cache
def _openapi() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema()))  # as a client reads it: statuses as strings


def api_answer_undeclared(method: str, path: str, status: int, body: bytes) -> str | None:
    """Why this answer of the API is not in its OpenAPI document (None if it is): its status is not
    declared for the operation, or an error's code is not among those the document lists for it. Paths that
    are no operation (the document itself, an unknown path, a method the path does not take) pass."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    template = "/" + _ROUTE_PARAM.sub(r"{\1}", match.route)
    document = _openapi()
    operation = document["paths"].get(template, {}).get(method.lower())
    if operation is None:
        return None
    declared = operation["responses"].get(str(status))
    if declared is None:
        return f"{method} {template} answered {status}, not declared ({sorted(operation['responses'])})"
    if status < 400:
        return None
    schema = declared["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    code = json.loads(body).get("code")
    code_schema = schema["properties"]["code"]
    codes = code_schema.get("enum") or [code_schema.get("const")]  # one code: a const
    if code not in codes:
        return f"{method} {template} answered {status} with code {code!r}, not among {codes}"
    return None


class ApiContractMiddleware:
    """In the test settings: an API answer that the OpenAPI document does not declare fails the test that
    observed it (the error is raised to the test client)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/") and not getattr(response, "streaming", False):
            problem = api_answer_undeclared(
                request.method, request.path, response.status_code, response.content
            )
            if problem:
                raise AssertionError(f"The OpenAPI document does not declare this answer: {problem}")
        return response
