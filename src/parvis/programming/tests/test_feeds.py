"""JSON-LD parsed and checked; iCal feeds parsed by the icalendar library across a daylight-saving change."""

import datetime
import json
import re
import zoneinfo
from decimal import Decimal

import icalendar
import pytest

from parvis.programming.models import PerformanceStatus
from parvis.testing import EventFactory, PerformanceFactory, local

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _jsonld(body: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_event_page_embeds_schema_org_events(client, organizer, venue):
    venue.latitude, venue.longitude = Decimal("48.86"), Decimal("2.44")
    venue.save()
    event = EventFactory(
        organizer=organizer,
        genre="jazz",
        title="Trio",
        artists="Ana, Bea",
        price_min=Decimal("12"),
        price_max=Decimal("15"),
        description="Un concert.",
    )
    PerformanceFactory(event=event, venue=venue, starts_at=local(2030, 3, 29, 20, 30))
    PerformanceFactory(
        event=event, venue=venue, starts_at=local(2030, 4, 1, 20, 30), status=PerformanceStatus.CANCELLED
    )
    data = _jsonld(client.get(event.get_absolute_url()).content.decode())
    assert [d["@type"] for d in data] == ["MusicEvent", "MusicEvent"]
    first, second = data
    assert first["@context"] == "https://schema.org"
    assert first["startDate"] == "2030-03-29T20:30:00+01:00"
    assert second["startDate"] == "2030-04-01T20:30:00+02:00"  # summer time
    assert first["eventStatus"] == "https://schema.org/EventScheduled"
    assert second["eventStatus"] == "https://schema.org/EventCancelled"
    assert first["location"]["name"] == venue.name
    assert first["location"]["address"]["addressLocality"] == "Montreuil"
    assert first["location"]["geo"] == {"@type": "GeoCoordinates", "latitude": 48.86, "longitude": 2.44}
    assert first["offers"] == {
        "@type": "Offer",
        "price": "12.00",
        "priceCurrency": "EUR",
        "url": "http://127.0.0.1:8000" + event.get_absolute_url(),
        "availability": "https://schema.org/InStock",
    }
    assert [p["name"] for p in first["performer"]] == ["Ana", "Bea"]
    assert first["organizer"]["name"] == organizer.name


@pytest.mark.parametrize(
    "genre,schema_type",
    [
        ("theatre", "TheaterEvent"),
        ("exhibition", "ExhibitionEvent"),
        ("dance", "DanceEvent"),
        ("other", "Event"),
    ],
)
def test_schema_type_follows_the_genre(client, organizer, venue, genre, schema_type):
    event = EventFactory(organizer=organizer, genre=genre, is_free=True)
    PerformanceFactory(event=event, venue=venue)
    data = _jsonld(client.get(event.get_absolute_url()).content.decode())
    assert data[0]["@type"] == schema_type and data[0]["offers"]["price"] == "0"


def test_jsonld_cannot_be_closed_by_a_title(client, organizer, venue):
    event = EventFactory(organizer=organizer, title="</script><script>alert(1)</script>")
    PerformanceFactory(event=event, venue=venue)
    body = client.get(event.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert _jsonld(body)[0]["name"] == "</script><script>alert(1)</script>"


def _parse(response) -> icalendar.Calendar:
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def test_ical_feeds_keep_local_time_across_daylight_saving(client, network, organizer, venue):
    event = EventFactory(organizer=organizer, title="Avant/après l'heure d'été")
    # France switches to summer time on Sunday 2030-03-31 at 02:00.
    PerformanceFactory(
        event=event, venue=venue, starts_at=local(2030, 3, 30, 20), ends_at=local(2030, 3, 30, 22)
    )
    PerformanceFactory(event=event, venue=venue, starts_at=local(2030, 4, 1, 20))
    for url in [
        f"/r/{network.slug}/agenda.ics",
        f"/o/{organizer.slug}/agenda.ics",
        f"/o/{organizer.slug}/lieux/{venue.slug}/agenda.ics",
        event.get_absolute_url() + "event.ics",
    ]:
        cal = _parse(client.get(url))
        assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"], url
        items = sorted(cal.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
        starts = [e.decoded("dtstart") for e in items]
        assert [s.astimezone(datetime.UTC).hour for s in starts] == [19, 18], url
        assert [s.astimezone(PARIS).hour for s in starts] == [20, 20], url
        assert items[0]["DTSTART"].params["TZID"] == "Europe/Paris"
        assert items[0].decoded("dtend").astimezone(PARIS).hour == 22
        assert str(items[0]["SUMMARY"]) == "Avant/après l'heure d'été"
        assert str(items[0]["LOCATION"]).startswith(venue.name)


def test_event_pages_link_their_feeds(client, network, organizer, venue):
    event = EventFactory(organizer=organizer)
    PerformanceFactory(event=event, venue=venue)
    for url in [
        event.get_absolute_url(),
        f"/r/{network.slug}/",
        f"/o/{organizer.slug}/",
        f"/o/{organizer.slug}/lieux/{venue.slug}/",
    ]:
        body = client.get(url).content.decode()
        assert re.search(r'<link rel="alternate" type="text/calendar"[^>]*href="[^"]+\.ics"', body), url


def test_cancelled_performance_is_cancelled_in_ical(client, organizer, venue):
    event = EventFactory(organizer=organizer)
    PerformanceFactory(event=event, venue=venue, status=PerformanceStatus.CANCELLED)
    cal = _parse(client.get(event.get_absolute_url() + "event.ics"))
    assert str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_widget_can_be_framed_by_other_sites_and_the_rest_cannot(client, organizer, venue):
    PerformanceFactory(event=EventFactory(organizer=organizer, title="Dans le widget"), venue=venue)
    response = client.get(f"/widget/{organizer.slug}/")
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    assert "Dans le widget" in response.content.decode()
    page = client.get(f"/o/{organizer.slug}/")
    assert page["X-Frame-Options"] == "DENY" and "frame-ancestors 'self'" in page["Content-Security-Policy"]
    script = client.get("/widget.js")
    assert script["Content-Type"].startswith("text/javascript")
    assert "/widget/" in script.content.decode()
