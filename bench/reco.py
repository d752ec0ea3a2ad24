"""Recommendations benchmark (issue 23).

1. MovieLens-100k, when it can be had locally (ratings >= 4, a random 80/20 split, seed 42): the shipped
   default (EASE, lambda 300, re-ranked at curiosity 0.5) gives `ml100k_recall_at_20`, `ml100k_ild_genres`
   (1 - cosine of the genres, which reproduces the issue's 0.718 for plain EASE) and `ml100k_coverage`;
   plain EASE and popularity follow with a suffix. The data comes from the recbole wheel
   (`recbole/dataset_example/ml-100k`), fetched with pip into var/cache/ (never committed); without a
   network and without it there, the figures say so (value null).
2. A generated network with planted tastes (`recommendations/simulation.py`, fixed seed): discovery rate
   and recall of the default against plain EASE and popularity (`sim_discovery_rate`, `sim_recall_at_20`).
3. Serving: an organizer with 300 coming events, 5,000 people and 60,000 visits, trained; then
   `serve_event_page_p99_ms`, the time the "you may also like" sections add to an event page (their
   queries and their re-ranking: the organizer's list and, the organizer being in a network with a second
   member of 100 events whose model is trained too, the network's list of the other member's shows),
   over 1,000 pages.
   `serve_campaign_ms_per_person`: a campaign's recommended block, per person (batches of 100, half of
   them agreed to personalised recommendations).
4. Training at scale: `parvis reco train` in a process of its own on 1,000,000 contacts and 10,000,000
   signals (`train_1m_s`, `train_peak_rss_mb`: that process's peak).

Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/reco.py [part …]
"""

import datetime
import os
import random
import resource
import subprocess
import sys
import time
import zipfile

from _common import ROOT, _free_port, emit, machine_speed, percentile, server_env, setup_django  # noqa: E402

setup_django()

import numpy as np  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.crm.models import Consent, Contact, Interaction, Purpose  # noqa: E402
from parvis.network.models import Network, NetworkMembership, Organizer, Venue  # noqa: E402
from parvis.programming.models import Event, EventStatus, Genre, Performance  # noqa: E402
from parvis.recommendations import engine, learning, offline, personal, selectors, simulation, training  # noqa: E402
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
    weights = learning.ease(split.train, lam=training.LAMBDA)
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
    network = _network(organizer)
    rng = random.Random(5)
    samples, elsewhere = [], 0
    for _n in range(1000):
        event = rng.choice(events)
        began = time.perf_counter()
        found = selectors.under(event)  # the organizer's list and the network's, as the page shows them
        samples.append((time.perf_counter() - began) * 1000)
        assert found.own, "no suggestion"
        elsewhere += bool(found.elsewhere)
    emit(
        BENCH,
        "serve_event_page_p99_ms",
        round(percentile(samples, 99), 2),
        "ms",
        20,
        p50=round(percentile(samples, 50), 2),
        vendor=connection.vendor,
        with_network_list=elsewhere / 1000,
        network_events=network.events,
    )
    campaign_picks(organizer)


def _network(organizer):
    """The organizer in a network with a second member (100 coming events), the network's model trained:
    each page also reads the network's neighbours and shows the other member's shows."""
    network, _created = Network.objects.get_or_create(
        slug="bench-reco-net", defaults={"name": "Bench réseau"}
    )
    other, _created = Organizer.objects.get_or_create(slug="bench-reco-b", defaults={"name": "Bench reco B"})
    for member in (organizer, other):
        NetworkMembership.objects.get_or_create(network=network, organizer=member)
    build(other, events=100, people=1000, visits=10000)
    return training.train_network(network)


def simulated() -> None:
    """The generated network (200,000 spectators, 25 venues, 3,000 shows, about 2,000,000 outings with
    planted tastes): popularity, plain EASE and the shipped default side by side, on 10,000 people drawn
    among those with outings held out."""
    network = simulation.generate()
    split = offline.random_split(network.cells, people=network.people, items=network.events, seed=42)
    attributes = network.attributes()
    known = offline.known_attributes(split.train, attributes)
    features = engine.Features(attributes=attributes, popularity=offline.popularity(split.train))
    weights = learning.ease(split.train, lam=training.LAMBDA)
    popular = np.tile(features.popularity.astype(np.float32), (network.events, 1)) / network.events
    sample = np.random.default_rng(1).choice(sorted(split.held_out), 10_000, replace=False)
    diversity = {"genres": network.genres(), "venues": network.places()}
    for suffix, item_scores, curiosity in (
        ("", weights, 0.5),
        ("_plain_ease", weights, 0.0),
        ("_popularity", popular, 0.0),
    ):
        lists = offline.recommend_all(
            split.train, item_scores, features, engine.Balance(curiosity), known=known, only=sample
        )
        figures = offline.assess(
            split, lists, diversity=diversity, discovery_attributes=attributes, known=known
        )
        extra = {
            name: round(figures[name], 3) for name in ("ndcg_at_10", "ild_genres", "ild_venues", "coverage")
        }
        emit(
            BENCH,
            f"sim_discovery_rate{suffix}",
            round(figures["discovery_rate"], 3),
            "",
            None,
            curiosity=curiosity,
            **extra,
        )
        emit(
            BENCH,
            f"sim_recall_at_20{suffix}",
            round(figures["recall_at_20"], 3),
            "",
            None,
            curiosity=curiosity,
            people=figures["people"],
        )


BIG = {"contacts": 1_000_000, "signals": 10_000_000, "events": 3_000, "venues": 25}


def big_organizer() -> Organizer:
    """1,000,000 contacts and 10,000,000 visits (door scans: the training reads them as it reads tickets,
    through the date's event) on 3,000 shows at 25 venues; built in SQL once and kept between runs."""
    organizer, _created = Organizer.objects.get_or_create(
        slug="bench-reco-1m", defaults={"name": "Bench reco 1M"}
    )
    o = organizer.pk
    if Interaction.objects.filter(organizer=organizer).count() == BIG["signals"]:
        return organizer
    with connection.cursor() as cursor:
        for table in ("crm_interaction", "crm_consent"):
            cursor.execute(f"DELETE FROM {table} WHERE organizer_id = %s", [o])  # noqa: S608 - constants
        cursor.execute("DELETE FROM crm_contact WHERE organizer_id = %s", [o])
    Performance.objects.filter(organizer=organizer).delete()
    Event.objects.filter(organizer=organizer).delete()
    venues = [
        Venue.objects.get_or_create(
            organizer=organizer, slug=f"lieu-{n}", defaults={"name": f"Lieu {n}", "town": "Paris"}
        )[0]
        for n in range(BIG["venues"])
    ]
    genres = [g for g, _label in Genre.choices]
    events = Event.objects.bulk_create(
        Event(
            organizer=organizer,
            slug=f"s-{n}",
            title=f"Spectacle {n}",
            genre=genres[n % len(genres)],
            status=EventStatus.PUBLISHED,
        )
        for n in range(BIG["events"])
    )
    start = timezone.now() - datetime.timedelta(days=300)  # the last 600 shows are still to come
    performances = Performance.objects.bulk_create(
        Performance(
            event=e,
            organizer=organizer,
            venue=venues[n % len(venues)],
            starts_at=start + datetime.timedelta(hours=3 * n),
        )
        for n, e in enumerate(events)
    )
    first_performance = min(p.pk for p in performances)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO crm_contact (first_name, last_name, email, phone, postal_code, departement, town, address,
                country, language, custom_fields, name_key, source, created_at, updated_at, rfm_group, organizer_id)
            SELECT 'P', 'N' || g, 'r' || g || '@reco.example', '', '75011', '75', '', '', 'FR', 'fr', '{}', '', 'bench',
                now(), now(), '', %s FROM generate_series(0, %s - 1) g""",
            [o, BIG["contacts"]],
        )
        cursor.execute("SELECT min(id) FROM crm_contact WHERE organizer_id = %s", [o])
        first_contact = cursor.fetchone()[0]
        # Each visit: a person, and a show near the person's taste (a band of 300 shows moved by their id).
        cursor.execute(
            """INSERT INTO crm_interaction (organizer_id, contact_id, kind, occurred_at, summary, ref, performance_id)
            SELECT %s, %s + (g %% %s), 'attendance', now() - interval '30 days', '', '',
                %s + ((((g %% %s) * 7) + (g / %s) * 37 %% 300) %% %s)
            FROM generate_series(0, %s - 1) g""",
            [
                o,
                first_contact,
                BIG["contacts"],
                first_performance,
                BIG["contacts"],
                BIG["contacts"],
                BIG["events"],
                BIG["signals"],
            ],
        )
        cursor.execute("ANALYZE crm_interaction; ANALYZE crm_contact")
    return organizer


def train_big() -> None:
    organizer = big_organizer()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "parvis", "reco", "train", "--organizer", organizer.slug],
        env=server_env(_free_port()),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        emit(BENCH, "train_1m_s", None, "s", 600, error=done.stderr[-500:])
        return
    emit(BENCH, "train_1m_s", round(seconds, 1), "s", 600, said=done.stdout.strip(), **BIG)
    emit(BENCH, "train_peak_rss_mb", round(max(peak_kb, before) / 1024, 1), "MB", 4096)


def campaign_picks(organizer) -> None:
    """What a campaign's recommended block costs a person: batches of 100 people, half of whom agreed to
    personalised recommendations, three picks each among the organizer's coming shows."""
    contacts = list(Contact.objects.filter(organizer=organizer).order_by("pk").values_list("pk", flat=True))
    Consent.objects.filter(organizer=organizer, purpose=Purpose.RECOMMENDATIONS).delete()
    Consent.objects.bulk_create(
        Consent(
            organizer=organizer,
            contact_id=pk,
            purpose=Purpose.RECOMMENDATIONS,
            given=True,
            at=timezone.now(),
            source=Consent.Source.IMPORT,
        )
        for pk in contacts[::2]
    )
    picker = personal.Picker(organizer.pk, personal.coming_events(organizer.pk))
    start = time.perf_counter()
    personal_picks = 0
    for first in range(0, len(contacts), 100):
        batch = contacts[first : first + 100]
        picker.prepare(batch)
        for pk in batch:
            personal_picks += any(c.because.kind for c in picker.for_contact(pk, 3))
    per_person = (time.perf_counter() - start) * 1000 / len(contacts)
    emit(
        BENCH,
        "serve_campaign_ms_per_person",
        round(per_person, 3),
        "ms",
        2,
        people=len(contacts),
        personal=personal_picks,
    )


PARTS = {"ml100k": ml100k, "simulated": simulated, "serving": serving, "train_big": train_big}


def main() -> None:
    """Every part, or only those named (`python bench/reco.py serving`)."""
    machine_speed(BENCH)
    for name in sys.argv[1:] or PARTS:
        PARTS[name]()
    machine_speed(BENCH)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
