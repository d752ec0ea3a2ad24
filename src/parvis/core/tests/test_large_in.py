"""An `in` over a list longer than a statement can bind (65,535 values on PostgreSQL, 32,766 on SQLite)
finds what it should on both databases: integers, strings, foreign keys, and their negation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parvis.crm import services as crm
from parvis.crm.models import Contact, Identifier
from parvis.testing import OrganizerFactory

pytestmark = pytest.mark.django_db

MANY = 100_000


@pytest.fixture
def contacts():
    organizer = OrganizerFactory()
    return organizer, [
        crm.contact_resolve(
            organizer_id=organizer.pk, email=f"p{n}@example.org", first_name="P", last_name=str(n)
        )
        for n in range(3)
    ]


def test_a_100000_value_in_on_ids_finds_the_rows(contacts):
    organizer, people = contacts
    ids = list(range(10**9, 10**9 + MANY)) + [people[0].pk, people[2].pk]
    with CaptureQueriesContext(connection) as queries:
        found = set(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True))
    assert found == {people[0].pk, people[2].pk}
    sql = queries[0]["sql"]
    assert len(queries) == 1 and (
        "json_each(" in sql or "= ANY(" in sql
    )  # one value, not 100,000 placeholders
    others = Contact.objects.filter(organizer=organizer).exclude(pk__in=ids)
    assert list(others.values_list("pk", flat=True)) == [people[1].pk]


def test_a_100000_value_in_on_strings_and_foreign_keys(contacts):
    organizer, people = contacts
    emails = [f"nobody{n}@example.org" for n in range(MANY)] + ["p1@example.org"]
    assert list(Contact.objects.filter(email__in=emails).values_list("pk", flat=True)) == [people[1].pk]
    contact_ids = list(range(10**9, 10**9 + MANY)) + [people[2].pk]
    held = Identifier.objects.filter(contact_id__in=contact_ids, kind="email")
    assert list(held.values_list("value", flat=True)) == ["p2@example.org"]
    by_instance = Identifier.objects.filter(contact__in=[people[0]] * 2 + list(Contact.objects.all()))
    assert by_instance.count() == 3  # short lists and model instances go the usual way


def test_a_long_list_with_values_out_of_range_drops_them(contacts):
    _organizer, people = contacts
    ids = [2**70, -(2**70)] + list(range(10**9, 10**9 + 2000)) + [people[1].pk]
    assert list(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True)) == [people[1].pk]
