"""Segments compile to one SQL query whose result matches a brute-force evaluation in Python."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parvis.crm import rfm, segments, services
from parvis.crm.models import Consent, Contact, Household, Interaction, Segment, Tag
from parvis.testing import EventFactory, OrganizerFactory, PerformanceFactory, VenueFactory
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db

NOW = timezone.now()
GENRES = ["jazz", "theatre", "dance", "exhibition"]


def _world(seed: int = 7, n: int = 160):
    rng = random.Random(seed)
    org = OrganizerFactory()
    venues = [VenueFactory(organizer=org) for _ in range(3)]
    performances = []
    for genre in GENRES:
        event = EventFactory(organizer=org, genre=genre)
        performances += [
            PerformanceFactory(
                event=event, venue=rng.choice(venues), starts_at=NOW + datetime.timedelta(days=d)
            )
            for d in (1, 2)
        ]
    tags = [Tag.objects.create(organizer=org, name=f"t{i}") for i in range(3)]
    households = [Household.objects.create(organizer=org, name=f"h{i}") for i in range(5)]
    contacts = []
    for i in range(n):
        contact = services.contact_resolve(
            organizer_id=org.pk,
            email=f"c{i}@example.org",
            first_name=f"C{i}",
            last_name="X",
            postal_code=rng.choice(["75011", "13001", "69003", ""]),
        )
        Contact.objects.filter(pk=contact.pk).update(
            town=rng.choice(["Paris", "Lyon", "paris", ""]),
            birth_year=rng.choice([None, 1950, 1980, 2001, 2010]),
            household=rng.choice([None, None, *households]),
            rfm_group=rng.choice(["", "champions", "lost"]),
        )
        contact.tags.add(*rng.sample(tags, rng.randint(0, 2)))
        contacts.append(contact)
    interactions = []
    for contact in contacts:
        for _ in range(rng.randint(0, 5)):
            p = rng.choice(performances)
            interactions.append(
                Interaction(
                    organizer=org,
                    contact=contact,
                    kind="attendance",
                    venue=p.venue,
                    performance=p,
                    occurred_at=NOW - datetime.timedelta(days=rng.randint(0, 800)),
                )
            )
        for _ in range(rng.randint(0, 3)):
            interactions.append(
                Interaction(
                    organizer=org,
                    contact=contact,
                    kind=rng.choice(["order", "order", "refund"]),
                    amount=Decimal(rng.randint(5, 90)),
                    occurred_at=NOW,
                )
            )
        for _ in range(rng.randint(0, 2)):
            Consent.objects.create(
                organizer=org,
                contact=contact,
                purpose=rng.choice(["organizer_newsletter", "sms"]),
                given=rng.random() < 0.6,
                at=NOW - datetime.timedelta(minutes=rng.randint(0, 99)),
                source="staff",
            )
    Interaction.objects.bulk_create(interactions)
    # Merged and erased contacts are never in a segment.
    Contact.objects.filter(pk=contacts[0].pk).update(merged_into=contacts[1])
    Contact.objects.filter(pk=contacts[2].pk).update(anonymised_at=NOW)
    return org, venues, performances, tags, rng


def _facts(org):
    """Every row the reference needs, loaded once and grouped by contact."""
    contacts = list(Contact.objects.filter(organizer=org, merged_into=None, anonymised_at=None))
    visits, money, latest = defaultdict(list), defaultdict(list), defaultdict(dict)
    for i in Interaction.objects.filter(organizer=org).select_related("performance__event"):
        if i.kind == "attendance":
            visits[i.contact_id].append(i)
        elif i.kind in ("order", "refund"):
            money[i.contact_id].append(i)
    for row in sorted(Consent.objects.filter(organizer=org), key=lambda c: (c.at, c.pk)):
        latest[row.contact_id][row.purpose] = row.given
    tag_rows = set(Contact.tags.through.objects.values_list("contact_id", "tag_id"))
    return contacts, visits, money, latest, tag_rows


def _python(facts, definition, seg_lookup):
    """The reference: every rule evaluated contact by contact, in Python."""
    contacts, all_visits, all_money, all_latest, tag_rows = facts
    year = timezone.localdate().year

    def day(v):
        return datetime.datetime.combine(
            datetime.date.fromisoformat(v), datetime.time.min, tzinfo=timezone.get_current_timezone()
        )

    def test(c, rule):
        f, v = rule["field"], rule.get("value")
        visits, money, latest = all_visits[c.pk], all_money[c.pk], all_latest[c.pk]
        net = sum((i.amount if i.kind == "order" else -i.amount) for i in money)
        result = {
            "attended_genre": lambda: any(i.performance.event.genre == v for i in visits),
            "attended_venue": lambda: any(i.venue_id == int(v) for i in visits),
            "attended_event": lambda: any(i.performance.event_id == int(v) for i in visits),
            "attended_since": lambda: any(i.occurred_at >= day(v) for i in visits),
            "visits_at_least": lambda: len(visits) >= int(v),
            "visits_at_most": lambda: len(visits) <= int(v),
            "spend_at_least": lambda: bool(money) and net >= Decimal(v),
            "last_visit_before": lambda: bool(visits) and max(i.occurred_at for i in visits) < day(v),
            "last_visit_after": lambda: bool(visits) and max(i.occurred_at for i in visits) >= day(v),
            "consent": lambda: latest.get(v) is True,
            "departement": lambda: c.departement in [x.strip().upper() for x in v.split(",")],
            "town": lambda: c.town.lower() == v.lower(),
            "age_at_least": lambda: c.birth_year is not None and c.birth_year <= year - int(v),
            "age_at_most": lambda: c.birth_year is not None and c.birth_year >= year - int(v),
            "tag": lambda: (c.pk, int(v)) in tag_rows,
            "in_household": lambda: c.household_id is not None,
            # The generated base has no member cards nor subscriptions (see memberships' own tests).
            "member": lambda: False,
            "subscriber": lambda: False,
            "rfm_group": lambda: c.rfm_group == v,
            "in_segment": lambda: c.pk in seg_lookup[int(v)],
        }[f]()
        return not result if rule.get("not") else result

    def group_ok(c, group):
        results = [test(c, r) for r in group["rules"]]
        return any(results) if group.get("op") == "or" else all(results)

    out = set()
    for c in contacts:
        groups = [group_ok(c, g) for g in definition["groups"] if g["rules"]]
        if not groups or (any(groups) if definition.get("op") == "or" else all(groups)):
            out.add(c.pk)
    return out


def _random_rule(rng, venues, performances, tags, segment_ids):
    field = rng.choice(
        [f for f in segments.all_fields() if f != "bought_tariff" and (f != "in_segment" or segment_ids)]
    )
    value = {
        "attended_genre": lambda: rng.choice(GENRES),
        "attended_venue": lambda: str(rng.choice(venues).pk),
        "attended_event": lambda: str(rng.choice(performances).event_id),
        "attended_since": lambda: (NOW - datetime.timedelta(days=rng.randint(0, 900))).date().isoformat(),
        "visits_at_least": lambda: str(rng.randint(0, 4)),
        "visits_at_most": lambda: str(rng.randint(0, 4)),
        "spend_at_least": lambda: str(rng.randint(1, 150)),
        "last_visit_before": lambda: (NOW - datetime.timedelta(days=rng.randint(0, 900))).date().isoformat(),
        "last_visit_after": lambda: (NOW - datetime.timedelta(days=rng.randint(0, 900))).date().isoformat(),
        "consent": lambda: rng.choice(["organizer_newsletter", "sms"]),
        "departement": lambda: rng.choice(["75", "13", "69,13", "2A"]),
        "town": lambda: rng.choice(["paris", "Lyon"]),
        "age_at_least": lambda: str(rng.choice([18, 40, 70])),
        "age_at_most": lambda: str(rng.choice([18, 40, 70])),
        "tag": lambda: str(rng.choice(tags).pk),
        "in_household": lambda: "yes",
        "member": lambda: "yes",
        "subscriber": lambda: "yes",
        "rfm_group": lambda: rng.choice(["champions", "lost"]),
        "in_segment": lambda: str(rng.choice(segment_ids)),
    }[field]()
    return {"field": field, "value": value, "not": rng.random() < 0.2}


def test_compiled_segments_match_a_brute_force_reference():
    org, venues, performances, tags, rng = _world()
    seg_lookup = {}
    facts = _facts(org)
    for round_ in range(60):
        definition = {
            "op": rng.choice(["and", "or"]),
            "groups": [
                {
                    "op": rng.choice(["and", "or"]),
                    "rules": [
                        _random_rule(rng, venues, performances, tags, list(seg_lookup))
                        for _ in range(rng.randint(1, 3))
                    ],
                }
                for _ in range(rng.randint(1, 3))
            ],
        }
        expected = _python(facts, definition, seg_lookup)
        compiled = segments.contacts_of(org, definition)  # reads the definitions of included segments
        with CaptureQueriesContext(connection) as queries:
            got = set(compiled.values_list("pk", flat=True))
        assert got == expected, (round_, definition)
        assert len(queries) == 1  # the contacts: one SQL statement, whatever the rules
        if round_ % 10 == 0:  # saved segments become available to "in_segment" rules
            segment = Segment.objects.create(organizer=org, name=f"s{round_}", definition=definition)
            seg_lookup[segment.pk] = expected


def test_tariff_rule_and_self_inclusion_refused():
    performance = on_sale_performance()
    youth = tariff(performance, "Jeune", price="8.00", kind="youth")
    order = buy(youth, 1)
    buy(tariff(performance, "Plein"), 1)
    got = segments.contacts_of(
        performance.organizer, {"groups": [{"rules": [{"field": "bought_tariff", "value": "youth"}]}]}
    )
    assert list(got) == [order.contact]
    segment = Segment.objects.create(organizer=performance.organizer, name="boucle")
    segment.definition = {"groups": [{"rules": [{"field": "in_segment", "value": str(segment.pk)}]}]}
    segment.save()
    with pytest.raises(segments.InvalidDefinition):
        list(segments.members(segment))
    with pytest.raises(segments.InvalidDefinition):
        segments.contacts_of(performance.organizer, {"groups": [{"rules": [{"field": "nope"}]}]})


def test_rfm_scores_and_groups():
    org = OrganizerFactory()
    people = [services.contact_resolve(organizer_id=org.pk, email=f"r{i}@example.org") for i in range(10)]
    rows = []
    for i, contact in enumerate(people):
        for k in range(i + 1):  # person i came i+1 times, spent 10 each, last came i*30 days ago
            rows.append(
                Interaction(
                    organizer=org,
                    contact=contact,
                    kind="attendance",
                    occurred_at=NOW - datetime.timedelta(days=i * 30 + k),
                )
            )
            rows.append(
                Interaction(
                    organizer=org,
                    contact=contact,
                    kind="order",
                    amount=Decimal(10),
                    occurred_at=NOW - datetime.timedelta(days=i * 30 + k),
                )
            )
    Interaction.objects.bulk_create(rows)
    never = services.contact_resolve(organizer_id=org.pk, email="never@example.org")
    assert rfm.rfm_refresh(org) == 10
    first, last = Contact.objects.get(pk=people[0].pk), Contact.objects.get(pk=people[-1].pk)
    assert (first.rfm_recency, first.rfm_frequency) == (5, 1)
    assert (last.rfm_recency, last.rfm_frequency, last.rfm_monetary) == (1, 5, 5)
    assert last.rfm_group == "at_risk" and first.rfm_group == "new"
    assert Contact.objects.get(pk=never.pk).rfm_group == ""


def _staff_world(client, role=None):
    from parvis.network.models import Role
    from parvis.testing import login_staff, staff

    org, venues, performances, tags, rng = _world(n=40)
    user = staff(org, role or Role.MARKETING)
    login_staff(client, user)
    return org, tags


def test_builder_counts_saves_and_exports(client):
    import csv as csv_module
    import io as io_module

    import openpyxl

    org, tags = _staff_world(client)
    url = f"/staff/o/{org.slug}/publics/segments/nouveau/"
    form = {
        "name": "Jazz fidèles",
        "op": "and",
        "groups": "1",
        "g0-op": "and",
        "g0-rules": "2",
        "g0-r0-field": "attended_genre",
        "g0-r0-value": "jazz",
        "g0-r1-field": "visits_at_least",
        "g0-r1-value": "2",
    }
    definition = {
        "op": "and",
        "groups": [
            {
                "op": "and",
                "rules": [
                    {"field": "attended_genre", "value": "jazz"},
                    {"field": "visits_at_least", "value": "2"},
                ],
            }
        ],
    }
    expected = segments.contacts_of(org, definition).count()
    partial = client.post(url, {**form, "action": "count"}, headers={"HX-Request": "true"})
    assert partial.context["count"] == expected and "<html" not in partial.content.decode()
    added = client.post(url, {**form, "action": "add_rule:0"})
    assert len(added.context["definition"]["groups"][0]["rules"]) == 3
    saved = client.post(url, {**form, "action": "save"})
    segment = Segment.objects.get(name="Jazz fidèles")
    assert saved["Location"] == f"/staff/o/{org.slug}/publics/segments/{segment.pk}/"
    assert segments.members(segment).count() == expected
    exported = client.get(f"/staff/o/{org.slug}/publics/segments/{segment.pk}/export.csv")
    rows = list(csv_module.reader(io_module.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + expected and rows[0][2] == "E-mail"
    xlsx = client.get(f"/staff/o/{org.slug}/publics/segments/{segment.pk}/export.xlsx")
    sheet = openpyxl.load_workbook(io_module.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + expected
    assert client.get(f"/staff/o/{org.slug}/publics/segments/{segment.pk}/export.pdf").status_code == 404
    # A fixed list keeps today's members.
    client.post(url, {**form, "name": "Jazz — liste", "action": "save_static"})
    fixed = Segment.objects.get(name="Jazz — liste")
    assert fixed.kind == "static" and fixed.members.count() == expected
    # Duplicate names and broken rules are refused with a message, nothing saved.
    client.post(url, {**form, "action": "save"})
    client.post(url, {**form, "name": "Cassé", "g0-r1-value": "beaucoup", "action": "save"})
    assert Segment.objects.count() == 2


def test_segment_roles(client):
    from parvis.network.models import Role

    org, _tags = _staff_world(client, Role.READ_ONLY)
    segment = Segment.objects.create(organizer=org, name="Tous", definition={"groups": []})
    assert client.get(f"/staff/o/{org.slug}/publics/segments/").status_code == 200
    assert (
        client.post(
            f"/staff/o/{org.slug}/publics/segments/nouveau/", {"name": "x", "action": "save"}
        ).status_code
        == 403
    )
    assert client.get(f"/staff/o/{org.slug}/publics/segments/{segment.pk}/export.csv").status_code == 403
    assert client.get(f"/staff/o/{org.slug}/publics/export.csv").status_code == 403
