import datetime

import pytest
from django.utils import timezone

from parvis.testing import EventFactory, OrganizerFactory, PerformanceFactory, VenueFactory

pytestmark = pytest.mark.django_db


def _soon(days=2):
    return (timezone.localtime() + datetime.timedelta(days=days)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )


def test_openapi_document_lists_the_public_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/networks",
        "/api/v1/organizers",
        "/api/v1/venues",
        "/api/v1/events",
        "/api/v1/performances",
        "/api/v1/events/{event_id}",
    ]:
        assert path in doc["paths"], path


def test_performances_filters_and_public_urls(client, network, organizer, venue):
    other_venue = VenueFactory(organizer=organizer, town="Paris")
    jazz = EventFactory(organizer=organizer, title="Été jazz", genre="jazz", is_free=True)
    PerformanceFactory(event=jazz, venue=venue, starts_at=_soon())
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Théâtre", genre="theatre"),
        venue=other_venue,
        starts_at=_soon(),
    )
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Brouillon", status="draft"),
        venue=venue,
        starts_at=_soon(),
    )
    elsewhere = OrganizerFactory()
    PerformanceFactory(
        event=EventFactory(organizer=elsewhere, title="Ailleurs"),
        venue=VenueFactory(organizer=elsewhere, town="Lyon"),
        starts_at=_soon(),
    )

    def titles(**params):
        response = client.get("/api/v1/performances", params)
        assert response.status_code == 200, response.content
        return sorted(item["event"]["title"] for item in response.json()["items"])

    assert titles(network=network.slug) == ["Théâtre", "Été jazz"]
    assert titles(network=network.slug, genre="jazz") == ["Été jazz"]
    assert titles(town="paris") == ["Théâtre"]
    assert titles(q="ete") == ["Été jazz"]
    assert titles(free="true", organizer=organizer.slug) == ["Été jazz"]
    item = client.get("/api/v1/performances", {"venue": venue.pk}).json()["items"][0]
    assert item["url"] == "http://127.0.0.1:8000" + jazz.get_absolute_url()
    assert item["event"]["url"] == item["url"]
    assert item["starts_at"].endswith(("+01:00", "+02:00"))


def test_limit_offset_pagination(client, organizer, venue):
    for i in range(5):
        PerformanceFactory(event=EventFactory(organizer=organizer), venue=venue, starts_at=_soon(days=i + 1))
    page = client.get("/api/v1/performances", {"limit": 2, "offset": 2}).json()
    assert page["count"] == 5 and len(page["items"]) == 2


@pytest.mark.parametrize(
    "params,status,code",
    [
        ({"bogus": "1"}, 400, "unknown_parameter"),
        ({"date_from": "2026-02-30"}, 422, "invalid_input"),
        ({"genre": "polka"}, 422, "invalid_input"),
        ({"price_max": "-1"}, 422, "invalid_input"),
        ({"venue": "abc"}, 422, "invalid_input"),
        ({"q": "x" * 500}, 422, "invalid_input"),
        ({"network": "does-not-exist"}, 404, "not_found"),
    ],
)
def test_bad_input_gets_one_error_shape(client, params, status, code):
    response = client.get("/api/v1/performances", params)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["message"]


def test_lists_of_networks_organizers_venues_events(client, network, organizer, other_organizer, venue):
    EventFactory(organizer=organizer, title="Visible")
    EventFactory(organizer=organizer, title="Caché", status="draft")
    assert [n["slug"] for n in client.get("/api/v1/networks").json()["items"]] == [network.slug]
    orgs = client.get("/api/v1/organizers", {"network": network.slug}).json()["items"]
    assert sorted(o["slug"] for o in orgs) == ["club-a", "club-b"]
    venues = client.get("/api/v1/venues", {"organizer": organizer.slug}).json()["items"]
    assert venues[0]["url"].endswith(f"/o/{organizer.slug}/lieux/{venue.slug}/")
    events = client.get("/api/v1/events", {"organizer": organizer.slug}).json()["items"]
    assert [e["title"] for e in events] == ["Visible"]
    draft_id = organizer.events.get(title="Caché").pk
    assert client.get(f"/api/v1/events/{draft_id}").status_code == 404


def test_api_list_has_no_n_plus_one(client, organizer, venue, django_assert_max_num_queries):
    for i in range(20):
        PerformanceFactory(event=EventFactory(organizer=organizer), venue=venue, starts_at=_soon(days=i + 1))
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/performances", {"limit": 20}).json()["items"]) == 20
