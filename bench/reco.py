"""Recommendations benchmark (issue 23).

1. MovieLens-100k, when it can be had locally (ratings >= 4, a random 80/20 split, seed 42): the shipped
   default (EASE, lambda 300, re-ranked at curiosity 0.5) gives `ml100k_recall_at_20`, `ml100k_ild_genres`
   (1 - cosine of the genres, which reproduces the issue's 0.718 for plain EASE) and `ml100k_coverage`;
   plain EASE and popularity follow with a suffix. The data comes from the recbole wheel
   (`recbole/dataset_example/ml-100k`), fetched with pip into var/cache/ (never committed); without a
   network and without it there, the figures say so (value null).
2. Serving: an organizer with 300 coming events, 5,000 people and 60,000 visits, trained; then
   `serve_event_page_p99_ms`, the time the "you may also like" section adds to an event page (its
   queries and its re-ranking), over 1,000 pages.

Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/reco.py
"""

import datetime
import os
import random
import subprocess
import sys
import time
import zipfile

from _common import ROOT, emit, machine_speed, percentile, setup_django  # noqa: E402

setup_django()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.crm.models import Contact, Interaction  # noqa: E402
from parvis.network.models import Organizer, Venue  # noqa: E402
from parvis.programming.models import Event, EventStatus, Genre, Performance  # noqa: E402
from parvis.recommendations import engine, offline, selectors, training  # noqa: E402
from parvis.ticketing.models import Quota, Tariff  # noqa: E402

BENCH = "reco"
CACHE = ROOT / "var" / "cache" / "reco"
RECBOLE = "recbole==1.2.1"
INSIDE = "recbole/dataset_example/ml-100k/"


def movielens() -> tuple[list[str], list[str]] | None:
    """(interactions lines, items lines) of ml-100k, from the recbole wheel in var/cache/."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = sorted(CACHE.glob("recbole-*.whl"))
    if not wheels:
        subprocess.run(  # noqa: S603 - a fixed command
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(CACHE), RECBOLE],
            check=False,
            capture_output=True,
            timeout=300,
        )
        wheels = sorted(CACHE.glob("recbole-*.whl"))
    if not wheels:
        return None
    with zipfile.ZipFile(wheels[-1]) as wheel:
        inter = wheel.read(INSIDE + "ml-100k.inter").decode().splitlines()[1:]
        items = wheel.read(INSIDE + "ml-100k.item").decode("latin-1").splitlines()[1:]
    return inter, items


def ml100k() -> None:
    data = movielens()
    if data is None:
        for figure in ("ml100k_recall_at_20", "ml100k_ild_genres", "ml100k_coverage"):
            emit(
                BENCH, figure, None, "", None, skipped="ml-100k not available (no network, not in var/cache)"
            )
        return
    inter, items = data
    taken = [
        (int(u), int(i)) for u, i, rating, _t in (line.split("\t") for line in inter) if float(rating) >= 4
    ]
    item_ids = sorted(int(line.split("\t")[0]) for line in items)
    column = {item: n for n, item in enumerate(item_ids)}
    genres = [frozenset()] * len(item_ids)
    for line in items:
        fields = line.split("\t")
        genres[column[int(fields[0])]] = frozenset(fields[3].split())
    people = {user: n for n, user in enumerate(sorted({u for u, _i in taken}))}
    cells = [(people[u], column[i], 1.0) for u, i in taken]
    split = offline.random_split(cells, people=len(people), items=len(item_ids), seed=42)
    known = offline.known_attributes(split.train, genres)
    features = engine.Features(attributes=genres, popularity=offline.popularity(split.train))
    start = time.perf_counter()
    weights = engine.ease(split.train, lam=training.LAMBDA)
    train_s = time.perf_counter() - start
    popular = features.popularity.astype("float32")[None, :].repeat(len(item_ids), axis=0)
    settings = [("", weights, 0.5), ("_plain_ease", weights, 0.0), ("_popularity", popular, 0.0)]
    targets = {"recall_at_20": 0.38, "ild_genres": 0.78, "coverage": 0.30}
    for suffix, item_scores, curiosity in settings:
        lists = offline.recommend_all(
            split.train, item_scores, features, engine.Balance(curiosity), known=known
        )
        figures = offline.assess(
            split, lists, diversity={"genres": genres}, discovery_attributes=genres, known=known
        )
        for name, target in targets.items():
            emit(
                BENCH,
                f"ml100k_{name}{suffix}",
                round(figures[name], 3),
                "",
                target if not suffix else None,
                curiosity=curiosity,
                ndcg_at_10=round(figures["ndcg_at_10"], 3),
                people=figures["people"],
            )
    emit(BENCH, "ml100k_train_s", round(train_s, 2), "s", None)


def _organizer() -> Organizer:
    organizer, _created = Organizer.objects.get_or_create(slug="bench-reco", defaults={"name": "Bench reco"})
    return organizer


def build(organizer, *, events=300, people=5000, visits=60000) -> list[Event]:
    """Coming events on sale at 12 venues, and visits to them drawn from planted tastes (a person's two
    favourite genres), kept between runs."""
    existing = list(Event.objects.filter(organizer=organizer).order_by("pk"))
    if len(existing) == events:
        return existing
    Event.objects.filter(organizer=organizer).delete()
    Contact.objects.filter(organizer=organizer).delete()
    rng = random.Random(23)
    venues = [
        Venue.objects.get_or_create(
            organizer=organizer,
            slug=f"salle-{n}",
            defaults={"name": f"Salle {n}", "town": "Paris", "postcode": f"75{n:03d}"[:5]},
        )[0]
        for n in range(12)
    ]
    genres = [g for g, _label in Genre.choices]
    created = Event.objects.bulk_create(
        Event(
            organizer=organizer,
            slug=f"spectacle-{n}",
            title=f"Spectacle {n}",
            genre=rng.choice(genres),
            description=" ".join(
                rng.choice(["jazz", "voix", "piano", "corps", "lumière", "texte"]) for _ in range(30)
            ),
            status=EventStatus.PUBLISHED,
        )
        for n in range(events)
    )
    start = timezone.now() + datetime.timedelta(days=5)
    performances = Performance.objects.bulk_create(
        Performance(
            event=event,
            organizer=organizer,
            venue=venues[n % len(venues)],
            starts_at=start + datetime.timedelta(hours=n),
        )
        for n, event in enumerate(created)
    )
    Tariff.objects.bulk_create(Tariff(performance=p, name="Plein", price=20) for p in performances)
    Quota.objects.bulk_create(
        Quota(performance=p, name="Jauge", capacity=200, is_total=True) for p in performances
    )
    contacts = Contact.objects.bulk_create(
        Contact(organizer=organizer, email=f"p{n}@bench.example", first_name="P", last_name=str(n))
        for n in range(people)
    )
    by_genre: dict[str, list[Performance]] = {}
    for performance in performances:
        by_genre.setdefault(performance.event.genre, []).append(performance)
    rows = []
    now = timezone.now()
    for n in range(visits):
        contact = contacts[n % people]
        taste = random.Random(contact.pk).sample(genres, 2)
        pool = by_genre.get(rng.choice(taste)) or performances
        rows.append(
            Interaction(
                organizer=organizer,
                contact=contact,
                kind=Interaction.Kind.ATTENDANCE,
                occurred_at=now,
                performance=rng.choice(pool),
            )
        )
    Interaction.objects.bulk_create(rows, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would soon: the planner's figures
            cursor.execute("ANALYZE")
    return created


def serving() -> None:
    organizer = _organizer()
    events = build(organizer)
    start = time.perf_counter()
    done = training.train_organizer(organizer)
    emit(
        BENCH,
        "train_organizer_s",
        round(time.perf_counter() - start, 2),
        "s",
        None,
        events=done.events,
        people=done.people,
        signals=done.signals,
    )
    rng = random.Random(5)
    samples = []
    for _n in range(1000):
        event = rng.choice(events)
        began = time.perf_counter()
        found = selectors.also_like(event)
        samples.append((time.perf_counter() - began) * 1000)
        assert found, "no suggestion"
    emit(
        BENCH,
        "serve_event_page_p99_ms",
        round(percentile(samples, 99), 2),
        "ms",
        20,
        p50=round(percentile(samples, 50), 2),
        vendor=connection.vendor,
    )


def main() -> None:
    machine_speed(BENCH)
    ml100k()
    serving()
    machine_speed(BENCH)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
