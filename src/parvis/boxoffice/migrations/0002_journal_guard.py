"""The database refuses updates and deletes of journal entries and closures (see boxoffice/db.py)."""

from django.db import migrations

from parvis.boxoffice import db


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(db.POSTGRESQL_SQL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in db.SQLITE_SQL:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(db.POSTGRESQL_REVERSE, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in db.SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("boxoffice", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
