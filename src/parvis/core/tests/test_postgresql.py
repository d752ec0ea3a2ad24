"""PostgreSQL as Parvis runs it: values bound on the server, repeated statements prepared, bulk operations
batched under the protocol's 65,535 values per statement."""

import pytest
from django.db import connection
from django.utils import timezone

from parvis.core.postgresql.base import MAX_SERVER_SIDE_PARAMS
from parvis.crm.models import Contact, Interaction

from .test_core import _production_env, _run_parvis

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own protocol")


@on_postgresql
@pytest.mark.django_db
def test_a_statement_run_again_and_again_is_prepared_by_postgresql():
    assert connection.features.uses_server_side_binding
    for _ in range(6):
        list(Contact.objects.filter(email="nobody@example.org"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "crm_contact"' in sql and "$1" in sql for sql in prepared), prepared


@on_postgresql
@pytest.mark.django_db
def test_bulk_updates_of_more_than_65535_values_are_cut_into_batches(organizer):
    contact = Contact.objects.create(organizer=organizer, first_name="Ada", last_name="Lovelace")
    rows = 10_000  # 7 values per row (CASE WHEN pk THEN value, for 3 fields, and IN): 70,000 in all
    Interaction.objects.bulk_create(
        Interaction(organizer=organizer, contact=contact, kind="note", occurred_at=timezone.now())
        for _ in range(rows)
    )
    interactions = list(Interaction.objects.filter(contact=contact))
    assert 7 * len(interactions) > MAX_SERVER_SIDE_PARAMS
    for interaction in interactions:
        interaction.summary, interaction.ref, interaction.kind = "Appel", "tel", "call"
    Interaction.objects.bulk_update(interactions, ["summary", "ref", "kind"])
    assert (
        Interaction.objects.filter(contact=contact, summary="Appel", ref="tel", kind="call").count() == rows
    )
    contact.delete()  # the cascade deletes in batches too
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    ("flag", "engine"), [(None, "parvis.core.postgresql"), ("false", "django.db.backends")]
)
def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(tmp_path, flag, engine):
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['OPTIONS'].get('server_side_binding'), d['OPTIONS'].get('prepare_threshold'))"
    )
    env = _production_env(
        tmp_path, DATABASE_URL="postgres://parvis@db.example.org/parvis", PG_PREPARED_STATEMENTS=flag
    )
    result = _run_parvis(["shell", "--no-imports", "-c", code], env)
    printed = result.stdout.split()
    assert printed[0].startswith(engine), result.stderr
    assert printed[1:] == (["True", "5"] if flag is None else ["None", "None"])
