"""Agenda benchmark: 10,000 events / 50,000 performances; the agenda page with two filters and the API list.

Targets (issue "Foundation"): median < 100 ms and p99 < 300 ms for both, no N+1 (queries per request reported).
Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/agenda.py
"""

import datetime
import random
import zoneinfo

from _common import emit, median, percentile, setup_django, timed

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.network.models import Network, NetworkMembership, Organizer, Venue  # noqa: E402
from parvis.programming.models import Event, Genre, Performance  # noqa: E402

BENCH = "agenda"
EVENTS, PERFS_PER_EVENT, ORGANIZERS = 10_000, 5, 100
TOWNS = [
    "Paris",
    "Montreuil",
    "Marseille",
    "Lyon",
    "Nantes",
    "Lille",
    "Bordeaux",
    "Rennes",
    "Aix-en-Provence",
]
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def build() -> Network:
    network, _ = Network.objects.get_or_create(slug="bench-agenda", defaults={"name": "Bench agenda"})
    if (
        Performance.objects.filter(organizer__slug__startswith="bench-org-").count()
        == EVENTS * PERFS_PER_EVENT
    ):
        return network
    rng = random.Random(42)
    Performance.objects.filter(organizer__slug__startswith="bench-org-").delete()
    Event.objects.filter(organizer__slug__startswith="bench-org-").delete()
    Venue.objects.filter(organizer__slug__startswith="bench-org-").delete()
    Organizer.objects.filter(slug__startswith="bench-org-").delete()
    organizers = Organizer.objects.bulk_create(
        [Organizer(slug=f"bench-org-{i}", name=f"Bench structure {i}") for i in range(ORGANIZERS)]
    )
    NetworkMembership.objects.bulk_create(
        [NetworkMembership(network=network, organizer=o) for o in organizers]
    )
    venues = Venue.objects.bulk_create(
        [
            Venue(organizer=o, slug="salle", name=f"Salle {o.pk}", town=TOWNS[i % len(TOWNS)], capacity=200)
            for i, o in enumerate(organizers)
        ]
    )
    genres = Genre.values
    events = []
    for i in range(EVENTS):
        organizer = organizers[i % ORGANIZERS]
        event = Event(
            organizer=organizer,
            slug=f"e-{i}",
            title=f"Spectacle {i} {rng.choice(['Été', 'Nuit', 'Théâtre', 'Jazz'])}",
            genre=rng.choice(genres),
            status="published",
            is_free=rng.random() < 0.1,
        )
        event.search_text = event.title.lower()
        events.append(event)
    events = Event.objects.bulk_create(events, batch_size=2000)
    today = timezone.localdate()
    perfs = []
    for i, event in enumerate(events):
        venue = venues[i % ORGANIZERS]
        for k in range(PERFS_PER_EVENT):
            day = today + datetime.timedelta(days=rng.randrange(-30, 300))
            starts = datetime.datetime.combine(day, datetime.time(20, 30), tzinfo=PARIS) + datetime.timedelta(
                minutes=k
            )
            perfs.append(
                Performance(event=event, organizer_id=event.organizer_id, venue=venue, starts_at=starts)
            )
    Performance.objects.bulk_create(perfs, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return network


def measure(name: str, client: Client, url: str, repeat: int = 200) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: queries.append(sql) or execute(sql, params, many, context)
    ):
        client.get(url)
    samples = timed(lambda: client.get(url), repeat=repeat)
    emit(BENCH, f"{name}_p50_ms", round(median(samples), 2), "ms", 100, db=connection.vendor)
    emit(BENCH, f"{name}_p99_ms", round(percentile(samples, 99), 2), "ms", 300, db=connection.vendor)
    emit(BENCH, f"{name}_queries_per_request", len(queries), "queries", None, db=connection.vendor)


def main() -> None:
    network = build()
    client = Client()
    measure("agenda_page_two_filters", client, f"/r/{network.slug}/?genre=jazz&town=Paris")
    measure("agenda_page_search_page_5", client, f"/r/{network.slug}/?q=theatre&free=on&page=5")
    measure(
        "api_performances_two_filters",
        client,
        f"/api/v1/performances?network={network.slug}&genre=jazz&town=Paris",
    )


if __name__ == "__main__":
    main()
