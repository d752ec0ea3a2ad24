"""Lookups that Parvis registers on Django's fields (at start-up, from `CoreConfig.ready`)."""

import json

from django.db.models import Field, ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

# Above this many values, an `in` list is sent as one value (an array, a JSON list) rather than one
# placeholder each: short lists keep the plain `IN (%s, …)` the hot paths are measured with.
LARGE_IN = 1000


class LargeInMixin:
    """`in` with a list of any length, on both databases.

    A statement binds at most 65,535 values on PostgreSQL (values bound on the server) and 32,766 on SQLite,
    and Django sends one per item: `filter(pk__in=ids)` over a large set failed (duplicate suggestions on a
    million contacts, an export, the refunds of a cancelled date). A long list is sent as one value instead:
    `= ANY(%s::<type>[])` on PostgreSQL (the column's own type), `IN (SELECT value FROM json_each(%s))` on
    SQLite (integers and strings; other values keep Django's placeholders)."""

    _large_in = ""

    def process_rhs(self, compiler, connection):
        sql, params = super().process_rhs(compiler, connection)
        self._large_in = ""
        if not self.rhs_is_direct_value() or len(params) <= LARGE_IN:
            return sql, params
        if sql != "(" + ", ".join(["%s"] * len(params)) + ")":  # expressions among the values
            return sql, params
        if connection.vendor == "postgresql":
            db_type = self.lhs.output_field.db_type(connection)
            if db_type:
                self._large_in = f"= ANY(%s::{db_type}[])"
                return "%s", [list(params)]
        elif connection.vendor == "sqlite" and all(isinstance(p, int | str) for p in params):
            return "(SELECT value FROM json_each(%s))", [json.dumps(list(params))]
        return sql, params

    def get_rhs_op(self, connection, rhs):
        if self._large_in:
            return self._large_in % rhs
        return super().get_rhs_op(connection, rhs)


class LargeIn(LargeInMixin, In):
    pass


class LargeRelatedIn(LargeInMixin, RelatedIn):
    pass


class IntegerFieldIn(LargeInMixin, In):
    """`in` on an integer field: a value the database cannot hold matches nothing, as Django's own `exact`
    does (`IntegerFieldOverflow`). Django's `in` sends it as it is, and SQLite raises OverflowError,
    PostgreSQL an error: a form's multiple choice posted with 99999999999999999999 answered 500."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


def register() -> None:
    Field.register_lookup(LargeIn)
    ForeignObject.register_lookup(LargeRelatedIn)
    IntegerField.register_lookup(IntegerFieldIn)
