"""Analytics benchmark on PostgreSQL (issue 24): 1,000,000 contacts and 10,000,000 tickets over the 25
organizers (one venue each) of one network, generated in SQL; the rollups rebuilt from scratch, then the
dashboards read through Django as a browser reads them.

Figures:
- `dashboard_<name>_p95_ms`: an organizer's sales, fill, audiences and marketing boards, and the network's
  sales, fill and audiences boards (`dashboard_network_<name>_p95_ms`), each read 20 times;
- `circulation_ms`: the network's circulation board (median of 5);
- `rebuild_s`: `parvis analytics rebuild` over the whole base;
- `order_overhead_ms`: what the change feed and the rollups add to a paid order (orders placed through the
  partner API's service alternately with the feed on and off, plus the settle that follows, per order);
- `scan_overhead_ms`: the same for a door entry;
- `sync_records_per_s`: one client paging the sync API's tickets, 1,000 a page;
- `dashboard_<name>_audiences_cold_ms`: the audiences board computed from scratch (`?frais=1`), what its
  first reader waits; `dashboard_network_audiences_stale_ms`: a read of kept figures older than five
  minutes, served at once while their new computation is asked of the worker (the asking, an INSERT in
  production, is recorded here, not run: the bench's task backend would run it in the request).

Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/analytics.py
(BENCH_ANALYTICS_CONTACTS scales it down; tickets are ten per contact.) The generated base is kept between
runs and made again when its size differs.
"""

import datetime
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal

os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
os.environ["BENCH_TICKETS"] = "3000"  # the door's tickets, for the scan overhead (bench/checkin.py's build)

from _common import emit, machine_speed, percentile, setup_django  # noqa: E402

setup_django()

from checkin import build as build_door  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from onsale import build as build_date  # noqa: E402

from parvis.analytics import (
    rollups,  # noqa: E402
    views,  # noqa: E402
)
from parvis.analytics.models import AudienceMonth, KeptBoard  # noqa: E402
from parvis.checkin import services as door  # noqa: E402
from parvis.checkin.models import Device  # noqa: E402
from parvis.core import changes  # noqa: E402
from parvis.crm import network_profiles  # noqa: E402
from parvis.network.models import (  # noqa: E402
    Network,
    NetworkMembership,
    NetworkRole,
    NetworkStaff,
    Organizer,
    OrganizerStaff,
    Role,
    Venue,
)
from parvis.opendata.api import sync_token_create  # noqa: E402
from parvis.programming.models import Event, Performance  # noqa: E402
from parvis.testing import login_staff  # noqa: E402
from parvis.ticketing import services  # noqa: E402
from parvis.ticketing.models import Channel, Tariff, Ticket  # noqa: E402
from parvis.ticketing.services.paid import PaidLine, order_place_paid  # noqa: E402

BENCH = "analytics"
CONTACTS = int(os.environ.get("BENCH_ANALYTICS_CONTACTS", "1000000"))
ORGANIZERS = 25
DATES = 40  # per organizer, from two years ago to three months ahead
GENRES = ["jazz", "theatre", "dance", "music", "exhibition", "circus", "young_audience", "classical"]
READS = 20
ORGANIZER_BOARDS = (
    ("sales", "ventes"),
    ("fill", "remplissage"),
    ("audiences", "publics"),
    ("marketing", "marketing"),
)
NETWORK_BOARDS = (("sales", "ventes"), ("fill", "remplissage"), ("audiences", "publics"))


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})


def build() -> tuple[Network, list[int]]:
    network, _ = Network.objects.get_or_create(slug="bench-analytics", defaults={"name": "Bench analytics"})
    ids = []
    for n in range(ORGANIZERS):
        organizer, _ = Organizer.objects.get_or_create(
            slug=f"bench-an-{n:02d}", defaults={"name": f"Lieu {n}"}
        )
        NetworkMembership.objects.get_or_create(network=network, organizer=organizer)
        ids.append(organizer.pk)
    if Ticket.objects.filter(organizer_id__in=ids).count() != CONTACTS * 10:
        generate(network, ids)
    return network, ids


def generate(network: Network, ids: list[int]) -> None:
    """Contacts (each person known at two neighbouring organizers), proven addresses, consents, one paid
    order of ten tickets per contact, sold over the two months before its date; 2 % given back."""
    p = {"orgs": ids, "n": CONTACTS, "k": ORGANIZERS, "net": network.pk, "d": DATES}
    for statement in (
        "DELETE FROM crm_networklink WHERE network_id = %(net)s",
        "DELETE FROM crm_networkprofile WHERE network_id = %(net)s",
        "DELETE FROM analytics_audiencemonth WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM analytics_firstvisit WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM analytics_consentstate WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM analytics_salesday WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM analytics_performancefigures WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM ticketing_ticket WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM ticketing_orderitem WHERE order_id IN (SELECT id FROM ticketing_order "
        "WHERE organizer_id = ANY(%(orgs)s))",
        "DELETE FROM ticketing_order WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM crm_interaction WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM crm_consent WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM crm_identifier WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM crm_contact WHERE organizer_id = ANY(%(orgs)s)",
    ):
        sql(statement, p)
    if not Performance.objects.filter(organizer_id__in=ids).exists():
        for n, organizer_id in enumerate(ids):
            venue = Venue.objects.create(
                organizer_id=organizer_id,
                slug="salle",
                name=f"Salle {n}",
                town="Paris",
                postcode=f"750{n % 20 + 1:02d}",
            )
            events = Event.objects.bulk_create(
                Event(
                    organizer_id=organizer_id, slug=f"e{i}", title=f"Spectacle {n}-{i}", genre=GENRES[i % 8]
                )
                for i in range(8)
            )
            sql(
                """INSERT INTO programming_performance (event_id, organizer_id, venue_id, starts_at, status,
                    capacity, note)
                SELECT (%(events)s::int[])[(k %% 8) + 1], %(o)s, %(v)s,
                    date_trunc('hour', now()) - interval '700 days' + k * interval '20 days' + %(n)s * interval '1 hour',
                    'published', 11000, ''
                FROM generate_series(0, %(d)s - 1) k""",
                {"events": [e.pk for e in events], "o": organizer_id, "v": venue.pk, "n": n, "d": DATES},
            )
        Tariff.objects.bulk_create(
            Tariff(
                performance=performance, name="Plein", kind="full", price=Decimal(20), vat_rate=Decimal("5.5")
            )
            for performance in Performance.objects.filter(organizer_id__in=ids)
        )
    sql(
        """
        INSERT INTO crm_contact (first_name, last_name, email, phone, postal_code, departement, town, address,
            country, language, birth_year, custom_fields, name_key, source, created_at, updated_at, rfm_group,
            organizer_id)
        SELECT 'P' || (g %% 997), 'N' || (g %% 1009), 'a' || (g / 2) || '@an.example', '',
            lpad(((g * 7) %% 95 + 1)::text, 2, '0') || lpad((g %% 1000)::text, 3, '0'),
            lpad(((g * 7) %% 95 + 1)::text, 2, '0'), '', '', 'FR', 'fr', 1940 + g %% 70, '{}',
            'p' || (g %% 997) || ' n' || (g %% 1009), 'bench', now(), now(),
            (ARRAY['champions', 'loyal', 'new', 'at_risk', 'lost', 'other'])[g %% 6 + 1],
            (%(orgs)s::int[])[(g %% %(k)s) + 1]
        FROM generate_series(0, %(n)s - 1) g""",
        p,
    )
    sql(
        """INSERT INTO crm_identifier (kind, value, created_at, verified_at, contact_id, organizer_id)
        SELECT 'email', email, now(), now(), id, organizer_id FROM crm_contact WHERE organizer_id = ANY(%(orgs)s)""",
        p,
    )
    sql(
        """INSERT INTO crm_consent (organizer_id, contact_id, purpose, channel, given, at, source, wording,
            version, proof)
        SELECT organizer_id, id, purpose, 'email', true, now() - interval '30 days', 'checkout', '', '', '{}'
        FROM crm_contact, unnest(ARRAY['network_sharing', 'organizer_newsletter']) purpose
        WHERE organizer_id = ANY(%(orgs)s)
          AND ((purpose = 'network_sharing' AND (id * 7919) %% 10 < 6) OR (purpose <> 'network_sharing' AND id %% 5 < 2))""",
        p,
    )
    sql(
        """CREATE TEMP TABLE bench_dates AS
        SELECT p.organizer_id, row_number() OVER (PARTITION BY p.organizer_id ORDER BY p.id) - 1 AS k,
            p.id AS performance_id, t.id AS tariff_id, p.starts_at
        FROM programming_performance p JOIN ticketing_tariff t ON t.performance_id = p.id
        WHERE p.organizer_id = ANY(%(orgs)s)""",
        p,
    )
    sql(
        """
        INSERT INTO ticketing_order (code, secret, checkout, state, channel, email, first_name, last_name,
            postal_code, postal_address, language, total, currency, created_at, expires_at, paid_at, consents,
            terms_version, organizer_id, contact_id)
        SELECT 'A' || lpad(c.id::text, 11, '0'), md5(c.id::text), gen_random_uuid(), 'paid',
            (ARRAY['online', 'box_office', 'api'])[c.id %% 3 + 1], c.email, c.first_name, c.last_name,
            c.postal_code, '', 'fr', 200, 'EUR', now(), now(), now(), '[]', '', c.organizer_id, c.id
        FROM crm_contact c WHERE c.organizer_id = ANY(%(orgs)s)""",
        p,
    )
    sql(
        """
        INSERT INTO ticketing_orderitem (quantity, unit_price, discount, vat_rate, attendee_names, order_id,
            performance_id, tariff_id)
        SELECT 10, 20, 0, 5.5, '[]', o.id, d.performance_id, d.tariff_id
        FROM ticketing_order o JOIN bench_dates d
          ON d.organizer_id = o.organizer_id AND d.k = (o.contact_id * 13) %% %(d)s
        WHERE o.organizer_id = ANY(%(orgs)s)""",
        p,
    )
    sql(
        """
        INSERT INTO ticketing_ticket (number, price, vat_rate, attendee_name, state, secret, issued_at, voided_at,
            item_id, order_id, organizer_id, performance_id, tariff_id)
        SELECT (i.rn - 1) * 10 + g.n, 20, 5.5, '', CASE WHEN (i.id + g.n) %% 50 = 0 THEN 'refunded' ELSE 'valid' END,
            '', LEAST(now(), d.starts_at) - ((i.id %% 60) + 1) * interval '1 day',
            CASE WHEN (i.id + g.n) %% 50 = 0 THEN LEAST(now(), d.starts_at) - interval '1 day' END,
            i.id, i.order_id, d.organizer_id, i.performance_id, i.tariff_id
        FROM (SELECT oi.id, oi.order_id, oi.performance_id, oi.tariff_id,
                     row_number() OVER (PARTITION BY oi.performance_id ORDER BY oi.id) AS rn
              FROM ticketing_orderitem oi JOIN ticketing_order o ON o.id = oi.order_id
              WHERE o.organizer_id = ANY(%(orgs)s)) i
        JOIN bench_dates d ON d.performance_id = i.performance_id,
             generate_series(1, 10) AS g(n)""",
        p,
    )
    sql("DROP TABLE bench_dates")
    network_profiles.link_all(network)
    sql("VACUUM ANALYZE")


def _staff(organizer_id: int, network: Network) -> Client:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-analytics", defaults={"email": "b@x.example"}
    )
    OrganizerStaff.objects.get_or_create(
        organizer_id=organizer_id, user=user, defaults={"role": Role.ADMINISTRATOR}
    )
    NetworkStaff.objects.get_or_create(network=network, user=user, defaults={"role": NetworkRole.COORDINATOR})
    client = Client()
    login_staff(client, user)  # as after the second factor, which staff who see figures must pass
    return client


def _read(client: Client, url: str, times: int) -> list[float]:
    client.get(url)  # warm-up: templates, the settle of what is left
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url}: {response.status_code}")
    return samples


def dashboards(network: Network, organizer: Organizer) -> None:
    """Each board read as its users read it. The audiences and circulation boards keep their figures five
    minutes: their reads are mostly of kept figures; `_cold_` figures are those computed again
    (`?frais=1`), what the first reader after five minutes waits."""
    client = _staff(organizer.pk, network)
    for prefix, base, names, reads in (
        ("dashboard", f"/staff/o/{organizer.slug}/tableaux", ORGANIZER_BOARDS, READS),
        ("dashboard_network", f"/staff/r/{network.slug}/tableaux", NETWORK_BOARDS, 5),
    ):
        for name, path in names:
            samples = _read(client, f"{base}/{path}/", reads)
            emit(
                BENCH,
                f"{prefix}_{name}_p95_ms",
                round(percentile(samples, 95), 1),
                "ms",
                500,
                p50=round(percentile(samples, 50), 1),
            )
        samples = _read(client, f"{base}/publics/?frais=1", 3)
        emit(BENCH, f"{prefix}_audiences_cold_ms", round(statistics.median(samples), 1), "ms", 500)
    emit(BENCH, "dashboard_network_audiences_stale_ms", _stale(client, network), "ms", 500)
    samples = _read(client, f"/staff/r/{network.slug}/tableaux/circulation/?frais=1", 3)
    emit(
        BENCH, "circulation_ms", round(statistics.median(samples), 1), "ms", 1000, p95=round(max(samples), 1)
    )
    samples = _read(client, f"/staff/r/{network.slug}/tableaux/circulation/", 5)
    emit(BENCH, "circulation_kept_ms", round(statistics.median(samples), 1), "ms", None)


def _stale(client: Client, network: Network) -> float:
    """The network's audiences board read when its kept figures are old (median of 5): served at once."""
    url = f"/staff/r/{network.slug}/tableaux/publics/"
    client.get(url)
    asked, saved = [], views.enqueue_on_commit
    views.enqueue_on_commit = lambda *args, **kwargs: asked.append(kwargs)
    samples = []
    try:
        for _ in range(5):
            KeptBoard.objects.update(
                computed_at=timezone.now() - datetime.timedelta(minutes=10), refresh_asked_at=None
            )
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200 and b'data-testid="refreshing"' in response.content
    finally:
        views.enqueue_on_commit = saved
    assert len(asked) == 5
    return round(statistics.median(samples), 1)


class FeedOff:
    """The change feed turned off: what a sale or an entry costs without it."""

    def __enter__(self):
        self.saved = changes.record, changes.record_many
        changes.record = lambda *args, **kwargs: None
        changes.record_many = lambda *args, **kwargs: None

    def __exit__(self, *exc):
        changes.record, changes.record_many = self.saved


def overhead(figure: str, act, *, per_round: int, target: float) -> None:
    """What the feed and the rollups add to `act` (one sale, one entry): timed alternately with the feed
    on and off, so that the machine's drift falls on both alike, plus the settle that follows (what the
    worker does after them), per act."""
    rollups.settle()
    timings = {"on": [], "off": []}
    for _round in range(6):
        timings["on"] += [act() for _ in range(per_round)]
        with FeedOff():
            timings["off"] += [act() for _ in range(per_round)]
    start = time.perf_counter()
    rollups.settle()
    settle = (time.perf_counter() - start) * 1000 / len(timings["on"])
    on, off = statistics.median(timings["on"]), statistics.median(timings["off"])
    emit(
        BENCH,
        figure,
        round(on - off + settle, 3),
        "ms",
        target,
        on_ms=round(on, 3),
        off_ms=round(off, 3),
        settle_per_act_ms=round(settle, 3),
    )


def order_overhead() -> None:
    organizer, _performance, tariff = build_date("analytics-overhead")

    def place() -> float:
        start = time.perf_counter()
        order_place_paid(
            organizer_id=organizer.pk,
            lines=[PaidLine(tariff.pk, 2)],
            buyer=services.Buyer(
                email=f"o-{uuid.uuid4().hex[:12]}@bench.example", first_name="O", last_name="V"
            ),
            provider_code="channel",
            reference=uuid.uuid4().hex,
            channel=Channel.API,
            notify=False,
        )
        return (time.perf_counter() - start) * 1000

    overhead("order_overhead_ms", place, per_round=60, target=2)


def scan_overhead() -> None:
    checkin_list, secrets, _tokens, _key = build_door()
    device = Device.objects.filter(organizer=checkin_list.organizer).first()
    shown = iter(secrets)

    def scan() -> float:
        start = time.perf_counter()
        door.redeem(device=device, checkin_list=checkin_list, nonce=uuid.uuid4().hex, secret=next(shown))
        return (time.perf_counter() - start) * 1000

    overhead("scan_overhead_ms", scan, per_round=200, target=1)


def sync_speed(organizer: Organizer) -> None:
    token = sync_token_create(organizer=organizer, name="bench", scopes=["tickets"])
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    cursor, records = "", 0
    start = time.perf_counter()
    for _page in range(60):
        body = client.get("/api/v1/sync/tickets", {"cursor": cursor, "limit": 1000}, headers=headers).json()
        records += len(body["records"])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    elapsed = time.perf_counter() - start
    emit(BENCH, "sync_records_per_s", round(records / elapsed), "records/s", 5000, records=records)


def main():
    if connection.vendor != "postgresql":
        sys.exit(
            "bench/analytics.py generates its data with PostgreSQL's SQL: set DATABASE_URL to PostgreSQL"
        )
    machine_speed(BENCH)
    start = time.perf_counter()
    network, ids = build()
    emit(
        BENCH,
        "build_s",
        round(time.perf_counter() - start, 1),
        "s",
        None,
        contacts=CONTACTS,
        tickets=CONTACTS * 10,
    )
    start = time.perf_counter()
    rollups.rebuild()
    emit(
        BENCH,
        "rebuild_s",
        round(time.perf_counter() - start, 1),
        "s",
        600,
        audience_rows=AudienceMonth.objects.count(),
    )
    sql("ANALYZE")  # as autovacuum does after the rollups' bulk writes (the planner's estimates)
    organizer = Organizer.objects.get(pk=ids[0])
    dashboards(network, organizer)
    sync_speed(organizer)
    order_overhead()
    scan_overhead()
    machine_speed(BENCH)


if __name__ == "__main__":
    main()
