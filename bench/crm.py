"""CRM benchmark on PostgreSQL: 1,000,000 contacts and 10,000,000 tickets, generated in SQL.

Figures: a three-rule segment count, a contact's timeline and totals, importing 100,000 rows with
deduplication (half of them known people), duplicate suggestions over the whole base, peak memory.
Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/crm.py
(BENCH_CRM_CONTACTS scales it down; tickets are ten per contact.)
"""

import datetime
import os
import random
import resource
import statistics
import sys
import time
from decimal import Decimal

from _common import emit, percentile, setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.crm import dedupe, importer, segments, selectors  # noqa: E402
from parvis.crm.models import Contact  # noqa: E402
from parvis.network.models import Organizer, Venue  # noqa: E402
from parvis.programming.models import Event, Performance  # noqa: E402
from parvis.ticketing.models import Tariff  # noqa: E402

BENCH = "crm"
CONTACTS = int(os.environ.get("BENCH_CRM_CONTACTS", "1000000"))
PLANTED = max(10, CONTACTS // 100)  # the same person under a second address, with a typo
PERFORMANCES = 1000
GENRES = ["jazz", "theatre", "dance", "music", "exhibition", "circus", "young_audience", "classical"]


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})


def clear(organizer_id: int) -> None:
    """Remove a previous run's rows (in dependency order)."""
    p = {"o": organizer_id}
    for statement in (
        "DELETE FROM crm_duplicatecandidate WHERE organizer_id = %(o)s",
        "DELETE FROM crm_interaction WHERE organizer_id = %(o)s",
        "DELETE FROM crm_consent WHERE organizer_id = %(o)s",
        "DELETE FROM ticketing_ticket WHERE organizer_id = %(o)s",
        "DELETE FROM ticketing_orderitem WHERE order_id IN (SELECT id FROM ticketing_order WHERE organizer_id = %(o)s)",
        "DELETE FROM ticketing_order WHERE organizer_id = %(o)s",
        "DELETE FROM crm_identifier WHERE organizer_id = %(o)s",
        "DELETE FROM crm_contact_tags WHERE contact_id IN (SELECT id FROM crm_contact WHERE organizer_id = %(o)s)",
        "DELETE FROM crm_contact WHERE organizer_id = %(o)s",
        "DELETE FROM crm_importjob WHERE organizer_id = %(o)s",
    ):
        sql(statement, p)


def build() -> Organizer:
    organizer, _ = Organizer.objects.get_or_create(slug="bench-crm", defaults={"name": "Bench CRM"})
    clear(organizer.pk)
    if not Performance.objects.filter(organizer=organizer).exists():
        venues = [
            Venue.objects.create(organizer=organizer, slug=f"v{i}", name=f"Lieu {i}", town="Paris")
            for i in range(20)
        ]
        events = Event.objects.bulk_create(
            Event(
                organizer=organizer,
                slug=f"e{i}",
                title=f"Événement {i}",
                genre=GENRES[i % len(GENRES)],
                status="published",
            )
            for i in range(200)
        )
        start = timezone.now() - datetime.timedelta(days=900)
        performances = Performance.objects.bulk_create(
            Performance(
                event=events[i % 200],
                venue=venues[i % 20],
                organizer=organizer,
                starts_at=start + datetime.timedelta(days=i, hours=i % 5),
                status="published",
            )
            for i in range(PERFORMANCES)
        )
        kinds = ["full", "reduced", "youth", "solidarity"]
        Tariff.objects.bulk_create(
            Tariff(performance=p, name=k, kind=k, price=Decimal(10), vat_rate=Decimal("5.5"))
            for i, p in enumerate(performances)
            for k in [kinds[i % 4]]
        )
    p = {"o": organizer.pk, "n": CONTACTS, "d": PLANTED, "P": PERFORMANCES}
    sql(
        """
        INSERT INTO crm_contact (first_name, last_name, email, phone, postal_code, departement, town, address,
            country, language, birth_year, custom_fields, name_key, source, created_at, updated_at, rfm_group,
            organizer_id)
        SELECT 'P' || (g %% 997), 'N' || (g %% 1009), 'c' || g || '@bench.example', '',
            lpad(((g %% 95) + 1)::text, 2, '0') || '000', lpad(((g %% 95) + 1)::text, 2, '0'), '', '', 'FR', 'fr',
            1940 + g %% 70, '{}', 'p' || (g %% 997) || ' n' || (g %% 1009), 'bench',
            now() - (g %% 2000) * interval '1 day', now(), '', %(o)s
        FROM generate_series(1, %(n)s) g""",
        p,
    )
    sql(
        """
        INSERT INTO crm_contact (first_name, last_name, email, phone, postal_code, departement, town, address,
            country, language, birth_year, custom_fields, name_key, source, created_at, updated_at, rfm_group,
            organizer_id)
        SELECT first_name, last_name, replace(email, '@bench.example', '@bench-typo.example'), '', postal_code,
            departement, '', '', 'FR', 'fr', birth_year, '{}', name_key, 'bench', created_at, now(), '', organizer_id
        FROM crm_contact WHERE organizer_id = %(o)s AND email LIKE '%%@bench.example'
        ORDER BY id LIMIT %(d)s""",
        p,
    )
    sql(
        """INSERT INTO crm_identifier (kind, value, created_at, contact_id, organizer_id)
        SELECT 'email', email, now(), id, organizer_id FROM crm_contact WHERE organizer_id = %(o)s""",
        p,
    )
    sql(
        """CREATE TEMP TABLE bench_perf AS
        SELECT row_number() OVER (ORDER BY p.id) - 1 AS idx, p.id AS performance_id, t.id AS tariff_id,
            p.venue_id, p.starts_at
        FROM programming_performance p JOIN ticketing_tariff t ON t.performance_id = p.id
        WHERE p.organizer_id = %(o)s""",
        p,
    )
    sql(
        """
        INSERT INTO ticketing_order (code, secret, checkout, state, channel, email, first_name, last_name,
            postal_code, postal_address, language, total, currency, created_at, expires_at, paid_at, consents,
            terms_version, organizer_id, contact_id)
        SELECT 'B' || lpad(c.id::text, 11, '0'), md5(c.id::text), gen_random_uuid(), 'paid', 'online', c.email,
            c.first_name, c.last_name, c.postal_code, '', 'fr', 100, 'EUR', now(), now(), now(), '[]', '',
            c.organizer_id, c.id
        FROM crm_contact c WHERE c.organizer_id = %(o)s AND c.email LIKE '%%@bench.example'""",
        p,
    )
    sql(
        """
        INSERT INTO ticketing_orderitem (quantity, unit_price, discount, vat_rate, attendee_names, order_id,
            performance_id, tariff_id)
        SELECT 10, 10, 0, 5.5, '[]', o.id, bp.performance_id, bp.tariff_id
        FROM ticketing_order o JOIN bench_perf bp ON bp.idx = o.id %% %(P)s WHERE o.organizer_id = %(o)s""",
        p,
    )
    sql(
        """
        INSERT INTO ticketing_ticket (number, price, vat_rate, attendee_name, state, secret, issued_at, item_id,
            order_id, organizer_id, performance_id, tariff_id)
        SELECT (i.rn - 1) * 10 + k, 10, 5.5, '', 'valid', '', now(), i.id, i.order_id, %(o)s, i.performance_id,
            i.tariff_id
        FROM (SELECT oi.id, oi.order_id, oi.performance_id, oi.tariff_id,
                     row_number() OVER (PARTITION BY oi.performance_id ORDER BY oi.id) AS rn
              FROM ticketing_orderitem oi JOIN ticketing_order o ON o.id = oi.order_id
              WHERE o.organizer_id = %(o)s) i,
             generate_series(1, 10) k""",
        p,
    )
    # Visits: between none and all of a buyer's ten tickets were scanned; one order each.
    sql(
        """
        INSERT INTO crm_interaction (kind, occurred_at, summary, ref, contact_id, organizer_id, performance_id,
            venue_id)
        SELECT 'attendance', bp.starts_at, '', '', o.contact_id, %(o)s, t.performance_id, bp.venue_id
        FROM ticketing_ticket t JOIN ticketing_order o ON o.id = t.order_id
        JOIN bench_perf bp ON bp.performance_id = t.performance_id
        WHERE t.organizer_id = %(o)s AND t.number %% 10 < o.contact_id %% 11""",
        p,
    )
    sql(
        """
        INSERT INTO crm_interaction (kind, occurred_at, summary, amount, ref, contact_id, organizer_id)
        SELECT 'order', o.created_at - (o.id %% 800) * interval '1 day', o.code, o.total, '', o.contact_id, %(o)s
        FROM ticketing_order o WHERE o.organizer_id = %(o)s""",
        p,
    )
    sql(
        """
        INSERT INTO crm_consent (purpose, channel, given, at, source, wording, version, proof, organizer_id,
            contact_id)
        SELECT 'organizer_newsletter', 'email', true, now(), 'checkout', '', '', '{}', %(o)s, id
        FROM crm_contact WHERE organizer_id = %(o)s AND id %% 5 < 2""",
        p,
    )
    sql("DROP TABLE bench_perf")
    sql("VACUUM ANALYZE")  # as autovacuum would after a bulk load: index-only scans need it
    return organizer


def timed(fn, repeat: int = 5) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main():
    if connection.vendor != "postgresql":
        sys.exit("bench/crm.py generates its data with PostgreSQL's SQL: set DATABASE_URL to PostgreSQL")
    started = time.perf_counter()
    organizer = build()
    emit(
        BENCH,
        "build_s",
        round(time.perf_counter() - started, 1),
        "s",
        None,
        contacts=CONTACTS,
        tickets=CONTACTS * 10,
    )

    definition = {
        "op": "and",
        "groups": [
            {
                "op": "and",
                "rules": [
                    {"field": "attended_genre", "value": "jazz"},
                    {"field": "visits_at_least", "value": "3"},
                    {"field": "consent", "value": "organizer_newsletter"},
                ],
            }
        ],
    }
    count = segments.contacts_of(organizer, definition).count()  # warm-up
    samples = timed(lambda: segments.contacts_of(organizer, definition).count())
    emit(BENCH, "segment_3_rules_count_ms", round(statistics.median(samples), 1), "ms", 1000, matched=count)

    rng = random.Random(3)
    ids = list(Contact.objects.filter(organizer=organizer).order_by("?").values_list("pk", flat=True)[:200])
    rng.shuffle(ids)
    lat = []
    for pk in ids:
        contact = Contact.objects.get(pk=pk)
        start = time.perf_counter()
        list(selectors.timeline(contact))
        selectors.totals(contact)
        lat.append((time.perf_counter() - start) * 1000)
    emit(BENCH, "timeline_p50_ms", round(percentile(lat, 50), 1), "ms", None)
    emit(BENCH, "timeline_p99_ms", round(percentile(lat, 99), 1), "ms", 100)

    lines = ["email;prenom;nom;telephone;cp"]
    for i in range(50_000):  # known people (a phone to add), then new ones
        lines.append(f"c{i * 7 + 1}@bench.example;P;N;06{i:08d};75011")
    for i in range(50_000):
        lines.append(f"new{i}@import.example;Nouveau{i};Import;;69003")
    job = importer.job_create(
        organizer=organizer, actor=None, filename="bench.csv", raw="\n".join(lines).encode()
    )
    start = time.perf_counter()
    job = importer.run(job)
    emit(
        BENCH,
        "import_100k_rows_s",
        round(time.perf_counter() - start, 1),
        "s",
        60,
        created=job.created_count,
        updated=job.updated_count,
        errors=len(job.errors),
    )

    start = time.perf_counter()
    found = dedupe.duplicates_refresh(organizer)
    emit(
        BENCH,
        "duplicate_suggestions_s",
        round(time.perf_counter() - start, 1),
        "s",
        600,
        pairs=found,
        planted=PLANTED,
    )
    emit(BENCH, "peak_rss_mb", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "MB", None)


if __name__ == "__main__":
    main()
