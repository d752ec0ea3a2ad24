"""Django's PostgreSQL backend, able to bind values on the server and prepare repeated statements, and
checking a connection's health without a round trip when it can.

Values sent apart from the SQL let psycopg prepare a statement that a connection runs again and again (the
door's ticket read, an order's inserts): PostgreSQL then skips parsing and planning it. A statement carries
at most 65,535 values that way, which Django 5.2 does not know for PostgreSQL (ticket #36822, fixed after
5.2): bulk inserts, updates and deletions are cut into batches under that limit here.
"""

import select

from django.db.backends.postgresql import base, features, operations
from django.utils.functional import cached_property

MAX_SERVER_SIDE_PARAMS = 2**16 - 1


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        return MAX_SERVER_SIDE_PARAMS if self.uses_server_side_binding else None


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        """Rows per statement. Two values per field and row: `bulk_update` names ["pk", "pk", *fields] but
        sends 2 per field and row (CASE WHEN pk = %s THEN %s) and 1 more (IN); inserts and deletions send
        fewer, and a smaller batch costs them little."""
        limit = self.connection.features.max_query_params
        if limit and fields:
            return max(limit // (2 * len(fields)), 1)
        return super().bulk_batch_size(fields, objs)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations

    def is_usable(self):
        """Whether the connection still works: asked at each request's first statement (CONN_HEALTH_CHECKS),
        and after an error.

        Django sends a `SELECT 1`: a round trip per request, 9 per web checkout. A connection the server
        has closed (a restart, a terminated backend, an idle timeout) has something to read: the server's
        goodbye, or the end of the stream. An idle connection with nothing to read is as alive as a round
        trip would find it, so the `SELECT 1` is only sent after an error or when there is something to read.
        A peer gone without a word (a cable pulled) shows on the first statement, as it would after the
        `SELECT 1` has passed.
        """
        if self.connection is None or self.connection.closed:
            return False
        if not self.errors_occurred:
            poll = select.poll()
            poll.register(self.connection.fileno(), select.POLLIN | select.POLLPRI)
            if not poll.poll(0):
                return True
        return super().is_usable()
