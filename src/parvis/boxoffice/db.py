"""The database's own guard on the journal: entries and closures are never updated, deleted only by a purge.

PostgreSQL: row triggers raise on UPDATE, and on DELETE unless the transaction ran
`SET LOCAL parvis.journal_purge = 'on'` (the 6-year retention purge does). TRUNCATE is left to the owner.
SQLite: the same triggers; DELETE asks the SQL function `parvis_journal_purge()`, which only Django
connections define (see apps.py): from any other client a DELETE fails too.
"""

import contextlib
import contextvars

from django.db import connection

TABLES = ("boxoffice_journalentry", "boxoffice_closure")
_purging = contextvars.ContextVar("parvis_journal_purge", default=False)

POSTGRESQL_SQL = """
CREATE OR REPLACE FUNCTION parvis_journal_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('parvis.journal_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'parvis: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION parvis_journal_guard();
"""
    for table in TABLES
)

POSTGRESQL_REVERSE = "".join(f"DROP TRIGGER IF EXISTS {table}_guard ON {table};" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS parvis_journal_guard();"
)

SQLITE_SQL = [
    statement
    for table in TABLES
    for statement in (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'parvis: {table} is append-only (UPDATE refused)'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN parvis_journal_purge() = 0 "
        f"BEGIN SELECT RAISE(ABORT, 'parvis: {table} is append-only (DELETE refused)'); END;",
    )
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {table}_{what};" for table in TABLES for what in ("no_update", "no_delete")
]


def sqlite_register(sender, connection, **kwargs) -> None:
    """connection_created: give SQLite connections the function the DELETE trigger asks."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "parvis_journal_purge", 0, lambda: int(_purging.get()), deterministic=False
        )


@contextlib.contextmanager
def purge_allowed():
    """Let deletes through (the retention purge, and the test database's flush). Never updates."""
    token = _purging.set(True)
    try:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL parvis.journal_purge = 'on'")
        yield
    finally:
        _purging.reset(token)
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL parvis.journal_purge = 'off'")
