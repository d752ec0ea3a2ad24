"""Network profiles benchmark on PostgreSQL (issue 33): 1,000,000 contacts over the 25 organizers of one
network, every address proven, 40 % consenting to sharing with the network (and 10 % who consented, then
withdrew). The people are 500,000, each known at two organizers; one in 20 holds a nominative pass, whose
code both of their contacts carry (crm.Identifier kind "pass").

Figures: linking every contact from scratch (`link_all_s`), linking one new consent as the person gives
it (`link_one_p99_ms`, the consent recorded and linked, committed), and `unconsented_leaks`: links, or
contacts read through `crm.network_audience`, whose person has not consented (must be 0).
Run alone: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/network_profiles.py
(BENCH_NETWORK_CONTACTS scales it down). The data is kept between runs and rebuilt when its size differs.
"""

import os
import time

from _common import emit, machine_speed, percentile, setup_django

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from onsale import build as build_date  # noqa: E402

from parvis.core.customers import SESSION_KEY  # noqa: E402
from parvis.crm import network_audience, network_profiles  # noqa: E402
from parvis.crm.models import Consent, Contact, Identifier, Interaction, NetworkLink, Purpose  # noqa: E402
from parvis.crm.services import consent_record  # noqa: E402
from parvis.network.models import Network, NetworkMembership, Organizer  # noqa: E402
from parvis.ticketing.models import Order  # noqa: E402
from parvis.ticketing.tests.factories import buy  # noqa: E402

BENCH = "network_profiles"
CONTACTS = int(os.environ.get("BENCH_NETWORK_CONTACTS", "1000000"))
ORGANIZERS = 25
SAMPLE = 300


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})


def build() -> tuple[Network, list[int]]:
    network, _ = Network.objects.get_or_create(slug="bench-net", defaults={"name": "Bench network"})
    ids = []
    for n in range(ORGANIZERS):
        organizer, _ = Organizer.objects.get_or_create(
            slug=f"bench-net-{n:02d}", defaults={"name": f"Club {n}"}
        )
        NetworkMembership.objects.get_or_create(network=network, organizer=organizer)
        ids.append(organizer.pk)
    bench_rows = (
        Contact.objects.filter(organizer_id__in=ids, source="bench").count(),
        Identifier.objects.filter(organizer_id__in=ids, value__endswith="@net.example").count(),
        Identifier.objects.filter(organizer_id__in=ids, kind="pass").exists(),
    )
    if bench_rows != (CONTACTS, CONTACTS, True):
        generate(network, ids)
    return network, ids


def generate(network: Network, ids: list[int]) -> None:
    """Contacts, proven addresses and consents, in SQL (the ORM would take minutes)."""
    p = {"orgs": ids, "n": CONTACTS, "k": ORGANIZERS, "purpose": Purpose.NETWORK_SHARING, "net": network.pk}
    for statement in (
        "UPDATE ticketing_order SET contact_id = NULL WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM crm_networklink WHERE network_id = %(net)s",
        "DELETE FROM crm_networkprofile WHERE network_id = %(net)s",
        "DELETE FROM crm_interaction WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM crm_consent WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM crm_identifier WHERE organizer_id = ANY(%(orgs)s)",
        "DELETE FROM crm_contact WHERE organizer_id = ANY(%(orgs)s)",
    ):
        sql(statement, p)
    # Contact g is person g / 2 at organizer g mod 25: each person is known at two organizers.
    sql(
        """
        INSERT INTO crm_contact (first_name, last_name, email, phone, postal_code, departement, town, address,
            country, language, custom_fields, name_key, source, created_at, updated_at, rfm_group, organizer_id)
        SELECT 'P' || (g %% 997), 'N' || (g %% 1009), 'p' || (g / 2) || '@net.example', '', '75001', '75', '',
            '', 'FR', 'fr', '{}', 'p' || (g %% 997) || ' n' || (g %% 1009), 'bench', now(), now(), '',
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
        """INSERT INTO crm_identifier (kind, value, created_at, verified_at, contact_id, organizer_id)
        SELECT 'pass', 'BP' || split_part(email, '@', 1), now(), now(), id, organizer_id FROM crm_contact
        WHERE organizer_id = ANY(%(orgs)s) AND abs(hashtext(email)) %% 20 = 0""",
        p,
    )
    # 40 % consent; 10 % consented a year ago and withdrew since (their latest row says no).
    sql(
        """INSERT INTO crm_consent (organizer_id, contact_id, purpose, channel, given, at, source, wording,
            version, proof)
        SELECT organizer_id, id, %(purpose)s, 'email', true, now() - interval '1 year', 'import', '', '', '{}'
        FROM crm_contact WHERE organizer_id = ANY(%(orgs)s) AND (id * 7919) %% 10 < 5""",
        p,
    )
    sql(
        """INSERT INTO crm_consent (organizer_id, contact_id, purpose, channel, given, at, source, wording,
            version, proof)
        SELECT organizer_id, id, %(purpose)s, 'email', false, now() - interval '1 day', 'self_service', '', '',
            '{}'
        FROM crm_contact WHERE organizer_id = ANY(%(orgs)s) AND (id * 7919) %% 10 = 4""",
        p,
    )
    sql("ANALYZE crm_contact; ANALYZE crm_identifier; ANALYZE crm_consent")


def leaks(network: Network) -> int:
    """Links whose contact may not be linked, and contacts the read interface gives that may not be."""
    links = NetworkLink.objects.filter(network=network).annotate(
        s=network_profiles.sharing_given("contact_id")
    )
    stored = links.exclude(s=True).count() + links.exclude(contact__anonymised_at=None).count()
    read = network_audience.live_links(network).values("contact_id")
    given = Consent.objects.filter(contact_id__in=read, purpose=Purpose.NETWORK_SHARING).values("contact_id")
    never_asked = Contact.objects.filter(pk__in=read).exclude(pk__in=given).count()
    return stored + never_asked


def link_one(ids: list[int]) -> list[float]:
    """A person who never consented gives the consent: the consent recorded and linked, committed. Then
    the sample is put back as it was."""
    sample = list(
        Contact.objects.filter(organizer_id__in=ids)
        .extra(where=["(crm_contact.id * 7919) %% 10 >= 5"])  # noqa: S610 - a constant expression
        .order_by("?")[:SAMPLE]
    )
    samples, made = [], []
    for contact in sample:
        start = time.perf_counter()
        with transaction.atomic():
            made.append(
                consent_record(contact=contact, purpose=Purpose.NETWORK_SHARING, given=True, source="import")
            )
        samples.append((time.perf_counter() - start) * 1000)
    with transaction.atomic():
        Interaction.objects.filter(ref__in=[f"consent:{c.pk}" for c in made]).delete()
        Consent.objects.filter(pk__in=[c.pk for c in made]).delete()
        for contact in sample:
            network_profiles.contact_sync(contact)
    return samples


def account_pages(ids: list[int]) -> list[float]:
    """A signed-in person's account (every order with their address, their network profile, every
    organizer's consents on one page): person 0 is known at two clubs, with twelve orders at six."""
    email = "p0@net.example"
    if Order.objects.filter(email=email).count() < 12:
        for n in range(6):
            _, _performance, tariff = build_date(f"account-{n}", Organizer.objects.get(pk=ids[n]))
            Order.objects.filter(pk__in=[buy(tariff).pk for _ in range(2)]).update(email=email)
    user, _ = get_user_model().objects.get_or_create(username=email, defaults={"email": email})
    network_profiles.address_proven(email)
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    samples = []
    for _ in range(60):
        start = time.perf_counter()
        response = client.get("/compte/")
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and email in response.content.decode()
    return samples[10:]  # the first ones warm up templates and queries


def main():
    machine_speed(BENCH)
    start = time.perf_counter()
    network, ids = build()
    emit(BENCH, "build_s", round(time.perf_counter() - start, 1), "s", None, contacts=CONTACTS)
    start = time.perf_counter()
    linked = network_profiles.link_all(network)
    emit(BENCH, "link_all_s", round(time.perf_counter() - start, 1), "s", 120, linked=linked)
    emit(BENCH, "unconsented_leaks", leaks(network), "contacts", 0)
    samples = link_one(ids)
    emit(
        BENCH,
        "link_one_p99_ms",
        round(percentile(samples, 99), 1),
        "ms",
        50,
        p50=round(percentile(samples, 50), 1),
    )
    pages = account_pages(ids)
    emit(
        BENCH,
        "account_tickets_p95_ms",
        round(percentile(pages, 95), 1),
        "ms",
        150,
        p50=round(percentile(pages, 50), 1),
    )
    machine_speed(BENCH)


if __name__ == "__main__":
    main()
