"""Test helpers: a counter open with a drawer, and a way around the journal's guard to play the attacker."""

import contextlib
from decimal import Decimal

from django.db import connection

from parvis.boxoffice import db, services
from parvis.boxoffice.models import CashDrawer
from parvis.network.models import Role
from parvis.testing import staff


def open_counter(
    organizer, *, username="guichet@example.org", training=False, float_="50.00", drawer="Caisse 1"
):
    user = staff(organizer, Role.BOX_OFFICE, username=username)
    drawer_obj, _ = CashDrawer.objects.get_or_create(organizer=organizer, name=drawer)
    session = services.session_open(
        actor=user, drawer=drawer_obj, opening_float=Decimal(float_), training=training
    )
    return user, session


def cash_sale(session, user, tariff, quantity=1, **kwargs):
    services.basket_add(session=session, tariff_id=tariff.pk, quantity=quantity)
    payments = kwargs.pop("payments", None) or [services.CounterPayment("cash", tariff.price * quantity)]
    return services.sale(session=session, actor=user, payments=payments, **kwargs)


@contextlib.contextmanager
def guard_off():
    """What someone with direct database access could do: lift the triggers (inside the test's
    transaction, so the schema comes back afterwards on PostgreSQL; recreated by hand on SQLite)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks before ALTER
            for table in db.TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for statement in db.SQLITE_REVERSE:
                cursor.execute(statement)
    try:
        yield connection.cursor()
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in db.TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            else:
                for statement in db.SQLITE_SQL:
                    cursor.execute(statement)
