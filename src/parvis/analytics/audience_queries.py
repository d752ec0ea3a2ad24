"""The audiences board's figures, aggregated by the database from the `AudienceMonth` rollup and the
contacts' profiles: counts come back, never a row per person (a network's board reads a million people).

`inside` is the rollup's rows of the period (and venue); `scope` the same over all months. `first` and
`back` name the flags to read: the organizer's (`first`, `back`) or, with a venue chosen, that venue's
(`first_here`, `back_here`)."""

import datetime
from collections import Counter

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from parvis.crm.models import Contact
from parvis.crm.services import departement_of
from parvis.network.models import Venue

from . import maps

# How many dates a person came to: the upper bound of each band (None: no bound).
FREQUENCY = ((1, 1), (2, 2), (3, 3), (4, 5), (6, 9), (10, None))
# Distance bands, nearest first: their order is the code the query gives.
BANDS = ("commune", "departement", "region", "france", "abroad", "unknown")


def totals(inside: QuerySet, first: str) -> dict:
    return inside.aggregate(
        people=Count("contact_id", distinct=True),
        new=Count("contact_id", distinct=True, filter=Q(**{first: True})),
        visits=Sum("visits"),
    )


def months(inside: QuerySet, first: str) -> dict[datetime.date, tuple[int, int]]:
    """Each month: people, and of them how many came for the first time."""
    return {
        month: (people, new)
        for month, people, new in inside.values("month")
        .annotate(
            people=Count("contact_id", distinct=True),
            new=Count("contact_id", distinct=True, filter=Q(**{first: True})),
        )
        .values_list("month", "people", "new")
        .order_by()
    }


def cohorts(scope: QuerySet, first: str, back: str) -> dict[datetime.date, tuple[int, int]]:
    """Each month that was someone's first: how many people, and how many came back the next season."""
    return {
        month: (people, again)
        for month, people, again in scope.filter(**{first: True})
        .values("month")
        .annotate(
            people=Count("contact_id", distinct=True),
            again=Count("contact_id", distinct=True, filter=Q(**{back: True})),
        )
        .values_list("month", "people", "again")
        .order_by()
    }


def _raw(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def frequency(inside: QuerySet) -> Counter:
    """Band index (of `FREQUENCY`) → people whose dates in the period fall in it."""
    per_person = inside.values("contact_id").annotate(s=Sum("visits")).values("s").order_by()
    sql, params = per_person.query.sql_with_params()
    bands = " ".join(
        f"WHEN s <= {high} THEN {i}" for i, (_low, high) in enumerate(FREQUENCY) if high is not None
    )
    last = len(FREQUENCY) - 1
    statement = f"SELECT CASE {bands} ELSE {last} END AS b, COUNT(*) FROM ({sql}) t GROUP BY b"  # noqa: S608
    return Counter(dict(_raw(statement, params)))


def by_field(inside: QuerySet, name: str) -> Counter:
    """A profile field's value → people of the period with it."""
    rows = (
        Contact.objects.filter(pk__in=inside.values("contact_id"))
        .values(name)
        .annotate(n=Count("pk"))
        .values_list(name, "n")
        .order_by()
    )
    return Counter(dict(rows))


def top(inside: QuerySet, name: str, *, limit: int, minimum: int) -> list[tuple]:
    """The most frequent values of a profile field among the period's people, with at least `minimum`."""
    return list(
        Contact.objects.filter(pk__in=inside.values("contact_id"))
        .exclude(**{name: ""})
        .values(name)
        .annotate(n=Count("pk"))
        .filter(n__gte=minimum)
        .values_list(name, "n")
        .order_by("-n", name)[:limit]
    )


def _case(column: str, mapping: dict) -> tuple[str, list]:
    """`CASE column WHEN … THEN … ELSE '' END` and its parameters."""
    if not mapping:
        return "''", []
    params: list = []
    for key, value in mapping.items():
        params += [key, value]
    return f"CASE {column} {' '.join(['WHEN %s THEN %s'] * len(mapping))} ELSE '' END", params


def distance(inside: QuerySet) -> Counter:
    """Band (of `BANDS`) → people, each in the nearest band to a venue they came to, by postcode."""
    pairs = inside.values("contact_id", "venue_id").distinct().order_by()
    venue_ids = set(inside.values_list("venue_id", flat=True).distinct().order_by())
    venues = list(Venue.objects.filter(pk__in=venue_ids).values_list("pk", "postcode", "country"))
    region = maps.regions()
    places = {pk: departement_of(postcode, country) for pk, postcode, country in venues}
    country_sql, country_p = _case("p.venue_id", {pk: country for pk, _pc, country in venues})
    postcode_sql, postcode_p = _case("p.venue_id", {pk: postcode for pk, postcode, _c in venues})
    place_sql, place_p = _case("p.venue_id", places)
    region_sql, region_p = _case("c.departement", region)
    venue_region_sql, venue_region_p = _case(
        "p.venue_id", {pk: region.get(d, "") for pk, d in places.items()}
    )
    band = (
        f"CASE WHEN c.country <> '' AND c.country <> {country_sql} THEN 4 "
        "WHEN c.postal_code = '' THEN 5 "
        f"WHEN c.postal_code = {postcode_sql} THEN 0 "
        f"WHEN c.departement <> '' AND c.departement = {place_sql} THEN 1 "
        f"WHEN {region_sql} <> '' AND {region_sql} = {venue_region_sql} THEN 2 "
        "ELSE 3 END"
    )
    band_params = country_p + postcode_p + place_p + region_p + region_p + venue_region_p
    sql, pair_params = pairs.query.sql_with_params()
    contacts = connection.ops.quote_name(Contact._meta.db_table)
    statement = (
        f"SELECT band, COUNT(*) FROM (SELECT p.contact_id, MIN({band}) AS band FROM ({sql}) p "  # noqa: S608
        f"JOIN {contacts} c ON c.id = p.contact_id GROUP BY p.contact_id) t GROUP BY band"
    )
    return Counter({BANDS[code]: n for code, n in _raw(statement, band_params + list(pair_params))})
