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
    ("flag", "engine"), [(None, "parvis.core.postgresql"), ("false", "parvis.core.postgresql")]
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


@on_postgresql
@pytest.mark.django_db
def test_a_healthy_idle_connection_is_checked_without_a_round_trip_and_a_closed_one_is_replaced(monkeypatch):
    """CONN_HEALTH_CHECKS: Django's SELECT 1 is sent only when the server has said something (its goodbye)."""
    import time

    from django.db import connections
    from django.db.backends.postgresql import base as django_base

    round_trips = []
    django_is_usable = django_base.DatabaseWrapper.is_usable
    monkeypatch.setattr(
        django_base.DatabaseWrapper, "is_usable", lambda self: round_trips.append(1) or django_is_usable(self)
    )
    other = connections.create_connection("default")
    try:
        other.ensure_connection()
        other.health_check_enabled, other.health_check_done = True, False
        assert other.is_usable() and not round_trips
        other.close_if_health_check_failed()
        assert other.connection is not None  # kept
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with connection.cursor() as cursor:  # a restart, an idle timeout or an administrator ends it
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(50):  # the server's goodbye is on its way
            if not other.is_usable():
                break
            time.sleep(0.05)
        assert round_trips and not other.is_usable()
        other.health_check_done = False
        other.close_if_health_check_failed()  # at the next request's first statement: a new connection
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != pid
        other.errors_occurred = True  # after an error, Django's round trip is made
        round_trips.clear()
        assert other.is_usable() and round_trips
    finally:
        other.close()
