"""Declarations benchmark on PostgreSQL (issue 31).

Figures:
- `quarter_compute_s`: a quarter of 180 performances with 60,000 tickets (full and reduced tariffs, 2 %
  refunded), its SIBIL figures computed (`sibil.quarter_rows`) and its taxe sur les spectacles
  (`show_tax.rows`), together;
- `sibil_send_s`: that quarter sent to a local fake SIBIL answering each request after 50 ms (a lookup by
  `idExtBilletterie` then a creation per performance);
- `sibil_duplicates`: the same quarter sent again to a fresh fake SIBIL that stores the 60th declaration but
  loses its answer, then is unavailable after the 120th; the run is resumed once it is back: declarations
  held twice, plus those missing, in that SIBIL (must be 0);
- `daily_statement_s`: the daily revenue statement of a 2,000-ticket performance, made from scratch;
- `inspector_lookup_p95_ms`: the inspector's page looking up a ticket number (and an order code, one time
  in four) among the organizer's 10,000,000 tickets, through Django as a browser reads it (40 reads).

Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/declarations.py
(BENCH_DECLARATIONS_TICKETS scales the inspector's base down; it is kept between runs and made again when
its size differs.)
"""

import datetime
import os
import random
import sys
import time

os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"

from _common import emit, machine_speed, percentile, setup_django  # noqa: E402

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from parvis.declarations import show_tax, sibil, sibil_send, statements  # noqa: E402
from parvis.declarations.models import (  # noqa: E402
    DailyStatement,
    GenreDomain,
    SibilAccount,
    SibilDeclaration,
    SibilDomain,
    SibilPlaceType,
    SibilShow,
    SibilVenue,
)
from parvis.declarations.tests.fake_sibil import FakeSibil  # noqa: E402
from parvis.network.models import Organizer, OrganizerStaff, Role, Venue  # noqa: E402
from parvis.programming.models import Event, Performance  # noqa: E402
from parvis.testing import login_staff  # noqa: E402

BENCH = "declarations"
QUARTER_DATES, QUARTER_TICKETS = 180, 60_000
BIG_TICKETS = int(os.environ.get("BENCH_DECLARATIONS_TICKETS", "10000000"))
PER_DATE = 2_000  # the inspector's base: dates of 2,000 tickets, one order per 100 tickets


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _organizer(slug: str) -> tuple[Organizer, Venue, Event]:
    organizer, _ = Organizer.objects.get_or_create(
        slug=slug, defaults={"name": f"Bench {slug}", "siret": "12345678900011"}
    )
    venue, _ = Venue.objects.get_or_create(
        organizer=organizer,
        slug="salle",
        defaults={"name": "Salle", "town": "Paris", "postcode": "75011", "capacity": 2500},
    )
    event, _ = Event.objects.get_or_create(
        organizer=organizer,
        slug="concert",
        defaults={"title": "Concert", "genre": "music", "status": "published"},
    )
    return organizer, venue, event


def _dates(organizer, venue, event, count: int, first: datetime.datetime, step_hours: int) -> list[int]:
    sql(
        """INSERT INTO programming_performance (event_id, organizer_id, venue_id, starts_at, status, capacity, note)
        SELECT %(e)s, %(o)s, %(v)s, %(first)s + k * %(step)s * interval '1 hour', 'published', 2500, ''
        FROM generate_series(0, %(n)s - 1) k""",
        {"e": event.pk, "o": organizer.pk, "v": venue.pk, "first": first, "step": step_hours, "n": count},
    )
    ids = list(Performance.objects.filter(organizer=organizer).order_by("pk").values_list("pk", flat=True))
    sql(
        """INSERT INTO ticketing_tariff (performance_id, name, name_en, kind, price, currency, vat_rate,
            eligibility, eligibility_en, sold_online, sold_at_box_office, position, is_active, seated, is_exception,
            online)
        SELECT p, t.name, '', t.kind, t.price, 'EUR', 5.5, '', '', true, true, t.pos, true, false, false, false
        FROM unnest(%(ids)s::int[]) p,
             (VALUES ('Plein', 'full', 20.00, 0), ('Réduit', 'reduced', 12.00, 1)) AS t(name, kind, price, pos)""",
        {"ids": ids},
    )
    return ids


def _tickets(organizer, per_date: int, per_order: int) -> None:
    """`per_date` tickets on each of the organizer's dates, in orders of `per_order`, one in 50 refunded."""
    p = {"o": organizer.pk, "per": per_date, "k": per_order}
    sql(
        """CREATE TEMP TABLE bench_slots AS
        SELECT p.id AS performance_id, t.id AS tariff_id, t.price, t.kind, p.starts_at,
               g AS batch
        FROM programming_performance p
        JOIN ticketing_tariff t ON t.performance_id = p.id,
             generate_series(0, %(per)s / %(k)s / 2 - 1) g
        WHERE p.organizer_id = %(o)s""",
        p,
    )
    sql(
        """INSERT INTO ticketing_order (code, secret, checkout, state, channel, email, first_name, last_name,
            postal_code, postal_address, language, total, currency, created_at, expires_at, paid_at, consents,
            terms_version, organizer_id)
        SELECT 'D' || to_hex(s.tariff_id) || 'X' || s.batch, md5(s.tariff_id::text || s.batch), gen_random_uuid(),
            'paid', 'online', 'b@bench.example', 'B', 'N', '', '', 'fr', s.price * %(k)s, 'EUR',
            s.starts_at - interval '10 days', s.starts_at, s.starts_at - interval '10 days', '[]', '', %(o)s
        FROM bench_slots s""",
        p,
    )
    sql(
        """INSERT INTO ticketing_orderitem (quantity, unit_price, discount, vat_rate, attendee_names, order_id,
            performance_id, tariff_id)
        SELECT %(k)s, s.price, 0, 5.5, '[]', o.id, s.performance_id, s.tariff_id
        FROM bench_slots s JOIN ticketing_order o ON o.code = 'D' || to_hex(s.tariff_id) || 'X' || s.batch""",
        p,
    )
    sql(
        """INSERT INTO ticketing_ticket (number, price, vat_rate, attendee_name, state, secret, issued_at,
            voided_at, item_id, order_id, organizer_id, performance_id, tariff_id)
        SELECT (i.rn - 1) * %(k)s + g, i.unit_price, 5.5, '',
            CASE WHEN (i.id + g) %% 50 = 0 THEN 'refunded' ELSE 'valid' END, '', i.created_at,
            CASE WHEN (i.id + g) %% 50 = 0 THEN i.created_at + interval '1 day' END,
            i.id, i.order_id, %(o)s, i.performance_id, i.tariff_id
        FROM (SELECT oi.id, oi.order_id, oi.performance_id, oi.tariff_id, oi.unit_price, o.created_at,
                     row_number() OVER (PARTITION BY oi.performance_id ORDER BY oi.id) AS rn
              FROM ticketing_orderitem oi JOIN ticketing_order o ON o.id = oi.order_id
              WHERE o.organizer_id = %(o)s) i,
             generate_series(1, %(k)s) g""",
        p,
    )
    sql("DROP TABLE bench_slots")


def build_quarter() -> tuple[Organizer, int, int]:
    """The organizer's previous quarter: 180 dates of 333 tickets (made again at each run)."""
    year, quarter = sibil.quarter_of(timezone.now())
    year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    old = Organizer.objects.filter(slug="bench-quarter").first()
    if old is not None:
        _drop(old)
    organizer, venue, event = _organizer("bench-quarter")
    start = sibil.quarter_bounds(year, quarter)[0] + datetime.timedelta(hours=20)
    _dates(organizer, venue, event, QUARTER_DATES, start, 12)
    _tickets(organizer, 334, 1)  # 334 a date (60,120 in all), one ticket an order
    domain, _ = SibilDomain.objects.get_or_create(
        id=7, defaults={"label": "Concert de musiques actuelles", "fetched_at": timezone.now()}
    )
    GenreDomain.objects.create(organizer=organizer, genre="music", domain=domain)
    hall, _ = SibilPlaceType.objects.get_or_create(
        code="SALLE_CONCERT_AUDITORIUM_OPERA_ZENITH",
        defaults={"label": "Salle de concert", "fetched_at": timezone.now()},
    )
    SibilVenue.objects.create(venue=venue, place_type=hall)
    SibilShow.objects.create(event=event, criteria={"critere2": "Orchestre du banc d'essai"})
    sql("ANALYZE")
    return organizer, year, quarter


def _drop(organizer) -> None:
    p = {"o": organizer.pk}
    for statement in (
        "DELETE FROM declarations_sibildeclaration WHERE performance_id IN (SELECT id FROM programming_performance WHERE organizer_id = %(o)s)",
        "DELETE FROM declarations_dailystatement WHERE organizer_id = %(o)s",
        "DELETE FROM declarations_genredomain WHERE organizer_id = %(o)s",
        "DELETE FROM declarations_sibilvenue WHERE venue_id IN (SELECT id FROM network_venue WHERE organizer_id = %(o)s)",
        "DELETE FROM declarations_sibilshow WHERE event_id IN (SELECT id FROM programming_event WHERE organizer_id = %(o)s)",
        "DELETE FROM declarations_sibilaccount WHERE organizer_id = %(o)s",
        "DELETE FROM ticketing_ticket WHERE organizer_id = %(o)s",
        "DELETE FROM ticketing_orderitem WHERE order_id IN (SELECT id FROM ticketing_order WHERE organizer_id = %(o)s)",
        "DELETE FROM ticketing_order WHERE organizer_id = %(o)s",
        "DELETE FROM ticketing_quota WHERE performance_id IN (SELECT id FROM programming_performance WHERE organizer_id = %(o)s)",
        "DELETE FROM ticketing_tariff WHERE performance_id IN (SELECT id FROM programming_performance WHERE organizer_id = %(o)s)",
        "DELETE FROM programming_performance WHERE organizer_id = %(o)s",
        "DELETE FROM programming_event WHERE organizer_id = %(o)s",
        "DELETE FROM network_venue WHERE organizer_id = %(o)s",
        "DELETE FROM network_organizerstaff WHERE organizer_id = %(o)s",
        "DELETE FROM core_auditlogentry WHERE organizer_id = %(o)s",
        "DELETE FROM network_organizer WHERE id = %(o)s",
    ):
        sql(statement, p)


def build_big() -> Organizer:
    """The inspector's organizer: BIG_TICKETS tickets over dates of 2,000 in past seasons (kept)."""
    organizer = Organizer.objects.filter(slug="bench-inspector").first()
    if organizer is not None:
        if Performance.objects.filter(organizer=organizer).count() == BIG_TICKETS // PER_DATE:
            return organizer
        _drop(organizer)
    organizer, venue, event = _organizer("bench-inspector")
    dates = BIG_TICKETS // PER_DATE
    _dates(organizer, venue, event, dates, timezone.now() - datetime.timedelta(days=dates // 2 + 30), 12)
    _tickets(organizer, PER_DATE, 100)
    sql("VACUUM ANALYZE")
    return organizer


def figure_quarter(organizer, year: int, quarter: int) -> None:
    start = time.perf_counter()
    rows = sibil.quarter_rows(organizer, year, quarter)
    taxed = show_tax.rows(organizer, *sibil.quarter_bounds(year, quarter))
    elapsed = time.perf_counter() - start
    tickets = sum(row.tickets for row in rows)
    assert len(rows) == len(taxed) == QUARTER_DATES, (len(rows), len(taxed))
    emit(BENCH, "quarter_compute_s", round(elapsed, 2), "s", 10, performances=len(rows), tickets=tickets)


def figure_send(organizer, year: int, quarter: int) -> None:
    fake = FakeSibil()
    fake.delay = 0.05
    try:
        SibilAccount.objects.update_or_create(
            organizer=organizer, defaults={"username": "declarant", "password": "secret"}
        )
        with override_settings(SIBIL_URL=fake.url):
            start = time.perf_counter()
            done = sibil_send.quarter_send(organizer, year, quarter)
            elapsed = time.perf_counter() - start
        assert done["sent"] == QUARTER_DATES, done
        emit(BENCH, "sibil_send_s", round(elapsed, 2), "s", 60, sent=done["sent"], latency_ms=50)
    finally:
        fake.stop()
    # A fresh SIBIL that keeps the 60th declaration but loses its answer, then falls after the 120th.
    SibilDeclaration.objects.filter(performance__organizer=organizer).update(
        sibil_id=None, status="", sent={}
    )
    fake = FakeSibil()
    fake.lose_answer_of_save, fake.unavailable_after = 60, 120
    try:
        with override_settings(SIBIL_URL=fake.url):
            first = sibil_send.quarter_send(organizer, year, quarter)  # stops at the lost answer
            second = sibil_send.quarter_send(organizer, year, quarter)  # stops when SIBIL falls
            fake.unavailable_after = None
            third = sibil_send.quarter_send(organizer, year, quarter)
        ext_ids = [d["idExtBilletterie"] for d in fake.declarations.values()]
        duplicates = len(ext_ids) - len(set(ext_ids)) + (QUARTER_DATES - len(set(ext_ids)))
        runs = [first, second, third]
        emit(BENCH, "sibil_duplicates", duplicates, "declarations", 0, runs=runs)
    finally:
        fake.stop()


def figure_statement(organizer) -> None:
    performance = Performance.objects.filter(organizer=organizer).order_by("pk").first()
    DailyStatement.objects.filter(organizer=organizer).delete()
    start = time.perf_counter()
    statement = statements.statement_issue(performance)
    elapsed = time.perf_counter() - start
    emit(BENCH, "daily_statement_s", round(elapsed, 3), "s", 2, tickets=statement.totals["issued"])


def figure_inspector(organizer) -> None:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-inspector", defaults={"email": "i@x.example"}
    )
    OrganizerStaff.objects.get_or_create(organizer=organizer, user=user, defaults={"role": Role.INSPECTOR})
    client = Client()
    login_staff(client, user)
    url = f"/staff/o/{organizer.slug}/controle-fiscal/"
    codes = list(
        Organizer.objects.get(pk=organizer.pk).orders.order_by("?").values_list("code", flat=True)[:10]
    )
    rng = random.Random(31)
    samples = []
    for n in range(42):
        query = codes[n % len(codes)] if n % 4 == 3 else str(rng.randint(1, PER_DATE))
        start = time.perf_counter()
        response = client.get(url, {"billet": query})
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.status_code
        if n >= 2:  # the first two warm the caches
            samples.append(elapsed)
    tickets = BIG_TICKETS
    emit(BENCH, "inspector_lookup_p95_ms", round(percentile(samples, 95), 1), "ms", 300, tickets=tickets)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/declarations.py needs PostgreSQL: DATABASE_URL=postgres://…")
    machine_speed(BENCH)
    organizer, year, quarter = build_quarter()
    figure_quarter(organizer, year, quarter)
    figure_send(organizer, year, quarter)
    started = time.perf_counter()
    big = build_big()
    print(f"# inspector's base ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    figure_statement(big)
    figure_inspector(big)
    machine_speed(BENCH)


if __name__ == "__main__":
    main()
