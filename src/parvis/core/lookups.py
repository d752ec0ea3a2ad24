"""Lookups that Parvis registers on Django's fields (at start-up, from `CoreConfig.ready`)."""

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
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
    IntegerField.register_lookup(IntegerFieldIn)
