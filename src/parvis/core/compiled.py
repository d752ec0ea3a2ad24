"""Hot reads whose SQL the ORM writes once per process: `CompiledQuery`.

On a busy sale, turning a queryset into SQL (joins, `select_related`, `only`) costs a worker more CPU than
the database spends running it. Django keeps no compiled statements, so each hot read pays it again. A
`CompiledQuery` asks the ORM for the statement of a query shape once per database connection, learns where
each argument lands in its parameters, then runs it with other arguments and makes the rows into model
instances as `QuerySet.__iter__` does (`Model.from_db`, `select_related` objects attached, prefetches run).

The queryset must depend on the arguments alone: a value computed inside `build` (the time, a setting)
would be frozen into the statement, so compiling refuses a shape whose other parameters change between two
builds. Arguments are integers, strings, aware datetimes, UUIDs, or lists of integers or strings (for `__in`;
a list is a set of values: duplicates are dropped, and an empty one returns nothing). A `values_list()` of
the selected columns (aggregates, say) gives its rows as tuples.

`insert(instance)` and `insert_many(instances)` do the same for the INSERT of new rows.
"""

import datetime
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model, QuerySet, prefetch_related_objects
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

# Stand-in values for compiling: within every integer field's range, unlike any real value in the tests.
_INT_BASE = (2_100_000_000, 2_120_000_000)
_DATETIME_BASE = (
    datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(1902, 1, 1, tzinfo=datetime.UTC),
)


@dataclass(frozen=True)
class _Slot:
    """Where a parameter of the statement comes from: argument `arg` (element `element` of a list)."""

    arg: int
    element: int | None
    adapt: Callable | None


@dataclass
class _Compiled:
    sql: str
    params: list
    slots: dict[int, _Slot]
    compiler: object
    model: type[Model] | None  # None: the rows of a values_list()
    init_list: list[str]
    fields: tuple[int, int]
    populators: list
    annotations: dict
    prefetch: tuple
    converters: dict  # the database's values into Python's, found once (the ORM looks them up every read)


class CompiledQuery:
    """`CompiledQuery(Quota, lambda performance_id: Quota.objects.filter(performance_id=performance_id))(12)`
    returns the list of instances the queryset would give for 12, its SQL written by the ORM only once."""

    def __init__(self, model: type[Model], build: Callable[..., QuerySet]):
        self.model, self.build = model, build
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self, *values) -> list:
        values = tuple(
            list(dict.fromkeys(v)) if isinstance(v, list | tuple | set | frozenset) else v for v in values
        )
        if any(isinstance(v, list) and not v for v in values):
            return []
        shape = tuple((type(v), len(v) if isinstance(v, list) else None) for v in values)
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        by_shape = self._compiled.setdefault(connection, {})
        compiled = by_shape.get(shape)
        if compiled is None:
            compiled = by_shape[shape] = _compile(self.build, shape, connection)
        params = list(compiled.params)
        for position, slot in compiled.slots.items():
            value = values[slot.arg] if slot.element is None else values[slot.arg][slot.element]
            params[position] = slot.adapt(value) if slot.adapt else value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return _instances(compiled, rows, alias)


def _stand_ins(shape, variant: int) -> list:
    """Values of the right types, each unlike the others; `variant` 1 differs everywhere from 0."""
    values = []
    for arg, (kind, length) in enumerate(shape):
        elements = [_stand_in(kind if length is None else int, variant, arg, i) for i in range(length or 1)]
        values.append(elements[0] if length is None else elements)
    return values


def _stand_in(kind, variant: int, arg: int, element: int):
    if kind is bool:
        raise TypeError("CompiledQuery: a boolean argument would become part of the statement")
    if issubclass(kind, int):
        return _INT_BASE[variant] + arg * 10_000 + element
    if issubclass(kind, str):
        return f"compiled-query-{variant}-{arg}-{element}"
    if issubclass(kind, datetime.datetime):
        return _DATETIME_BASE[variant] + datetime.timedelta(days=arg, seconds=element)
    if issubclass(kind, uuid.UUID):
        return uuid.UUID(int=(variant + 1) << 64 | arg << 32 | element)
    raise TypeError(f"CompiledQuery: unsupported argument type {kind.__name__}")


def _sql(queryset: QuerySet, connection):
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    return compiler, sql, list(params)


def _compile(build, shape, connection) -> _Compiled:
    base_values = _stand_ins(shape, 0)
    queryset = build(*base_values)
    if queryset.db != connection.alias:
        raise ValueError("CompiledQuery: the queryset reads another database than its model's")
    rows_only = queryset._iterable_class is ValuesListIterable and _values_in_select_order(queryset)
    if (queryset._iterable_class is not ModelIterable and not rows_only) or queryset._known_related_objects:
        raise TypeError(
            "CompiledQuery: only plain model querysets, or values_list() of the selected columns in their "
            "order (no values(), no flat or named rows, no related manager)"
        )
    compiler, sql, params = _sql(queryset, connection)
    other_values = _stand_ins(shape, 1)
    slots: dict[int, _Slot] = {}
    for arg in range(len(shape)) or [None]:
        values = list(base_values)
        if arg is not None:
            values[arg] = other_values[arg]
        _, other_sql, other_params = _sql(build(*values), connection)
        if other_sql != sql or len(other_params) != len(params):
            raise ValueError("CompiledQuery: the statement's shape depends on the arguments' values")
        for position, (before, after) in enumerate(zip(params, other_params, strict=True)):
            if before == after:
                continue
            slot = (
                _slot_for(arg, base_values, other_values, before, after, connection)
                if arg is not None
                else None
            )
            if slot is None:
                raise ValueError(
                    f"CompiledQuery: parameter {position} changes with something else than the arguments"
                )
            slots[position] = slot
    found = {slot.arg for slot in slots.values()}
    if missing := set(range(len(shape))) - found:
        raise ValueError(f"CompiledQuery: arguments {sorted(missing)} do not reach the statement")
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    if rows_only:
        return _Compiled(sql, params, slots, compiler, None, [], (0, 0), [], {}, (), converters)
    select, klass_info = compiler.select, compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    return _Compiled(
        sql=sql,
        params=params,
        slots=slots,
        compiler=compiler,
        model=klass_info["model"],
        init_list=[column[0].target.attname for column in select[start:end]],
        fields=(start, end),
        populators=get_related_populators(klass_info, select, connection.alias),
        annotations=dict(compiler.annotation_col_map or {}),
        prefetch=tuple(queryset._prefetch_related_lookups),
        converters=converters,
    )


def _values_in_select_order(queryset: QuerySet) -> bool:
    """A `values_list()` whose rows are the selected columns as they come (what `ValuesListIterable` does
    without reordering)."""
    query = queryset.query
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    fields = [*queryset._fields, *(f for f in query.annotation_select if f not in queryset._fields)]
    return not query.extra_select and fields == names


def _slot_for(arg, base_values, other_values, before, after, connection) -> _Slot | None:
    """Which element of argument `arg` became `before` (and `after` in the other build), and how."""
    base, other = base_values[arg], other_values[arg]
    if isinstance(base, list):
        pairs = [(element, value, other[element]) for element, value in enumerate(base)]
    else:
        pairs = [(None, base, other)]
    for element, value, other_value in pairs:
        if (before, after) == (value, other_value):
            return _Slot(arg, element, None)
        for adapt in _adapters(value, connection):  # values the database stores in another form
            if (before, after) == (adapt(value), adapt(other_value)):
                return _Slot(arg, element, adapt)
    return None


def _adapters(value, connection) -> list[Callable]:
    if isinstance(value, datetime.datetime):
        return [connection.ops.adapt_datetimefield_value]
    if isinstance(value, uuid.UUID):
        return [_uuid_hex]  # databases without a uuid type (SQLite) store its 32 hex digits
    return []


def _uuid_hex(value: uuid.UUID) -> str:
    return value.hex


def _instances(compiled: _Compiled, rows: list, alias: str) -> list:
    compiler = compiled.compiler
    if compiler.has_extra_select:
        rows = [row[: compiler.col_count] for row in rows]
    if compiled.converters:
        rows = compiler.apply_converters(rows, compiled.converters)
    if compiled.model is None:  # values_list(): the rows, their values converted
        return list(map(tuple, rows))
    start, end = compiled.fields
    instances = []
    for row in rows:
        instance = compiled.model.from_db(alias, compiled.init_list, row[start:end])
        for populator in compiled.populators:
            populator.populate(row, instance)
        for name, position in compiled.annotations.items():
            setattr(instance, name, row[position])
        instances.append(instance)
    if compiled.prefetch and instances:
        prefetch_related_objects(instances, *compiled.prefetch)
    return instances


# Inserts ---------------------------------------------------------------------------------------------------


@dataclass
class _Insert:
    fields: list
    sql: str
    by_column: bool  # one array per field (PostgreSQL's UNNEST), or the values row after row
    returning: list
    returning_params: tuple
    converters: dict
    compiler: object


_inserts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# `insert_many` writes a statement per number of rows up to this (PostgreSQL needs only one: UNNEST).
MAX_COMPILED_ROWS = 32


def insert(instance: Model) -> Model:
    """Insert `instance` as a new row, as `save()` does (defaults, `auto_now_add`, the id read back), with
    the INSERT statement the ORM wrote once per model and database connection.

    For the rows every sale writes (order, payment, timeline entry, audit entry). Models that change how
    they are saved (a `save()` of their own, signal receivers, inheritance) are saved the usual way.
    """
    model = type(instance)
    meta = model._meta
    if (
        model.save is not Model.save
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
        or meta.parents
        or meta.order_with_respect_to
    ):
        instance.save(force_insert=True)
        return instance
    if not _insert_rows(model, [instance], operation="save"):
        instance.save(force_insert=True)  # the ORM writes that statement (an expression, say)
    return instance


def insert_many(instances: list[Model]) -> list[Model]:
    """Insert new rows of one model as `bulk_create` does (no `save()`, no signals; defaults, `auto_now_add`
    and the ids read back), with a statement the ORM wrote once per model, connection and number of rows.

    More rows than `MAX_COMPILED_ROWS`, models with parents, and values that are expressions go through
    `bulk_create`.
    """
    instances = list(instances)
    if not instances:
        return instances
    model = type(instances[0])
    if (
        len(instances) > MAX_COMPILED_ROWS
        or model._meta.parents
        or not _insert_rows(model, instances, operation="bulk_create")
    ):
        return model._default_manager.bulk_create(instances)
    return instances


def _insert_rows(model: type[Model], instances: list[Model], *, operation: str) -> bool:
    """Insert the rows with the compiled statement; False, and nothing written, where it does not fit."""
    for instance in instances:  # a related object saved after it was assigned: its id; unsaved: an error
        instance._prepare_related_fields_for_save(operation_name=operation)
    alias = router.db_for_write(model, instance=instances[0])
    connection = connections[alias]
    pk_set = instances[0].pk is not None
    if any((instance.pk is not None) != pk_set for instance in instances):
        return False
    by_model = _inserts.setdefault(connection, {})
    key = (model, pk_set, len(instances))
    if key not in by_model:
        by_model[key] = _compile_insert(model, pk_set, len(instances), connection)
    compiled = by_model[key]
    if compiled is None:
        return False
    rows = [[field.pre_save(instance, add=True) for field in compiled.fields] for instance in instances]
    if any(hasattr(value, "resolve_expression") for row in rows for value in row):
        return False
    rows = [
        [
            field.get_db_prep_save(value, connection=connection)
            for field, value in zip(compiled.fields, row, strict=True)
        ]
        for row in rows
    ]
    params = [list(column) for column in zip(*rows, strict=True)] if compiled.by_column else sum(rows, [])
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        if compiled.returning:
            if len(instances) == 1:
                returned = [connection.ops.fetch_returned_insert_columns(cursor, compiled.returning_params)]
            else:
                returned = connection.ops.fetch_returned_insert_rows(cursor)
            if compiled.converters:
                returned = list(compiled.compiler.apply_converters(returned, compiled.converters))
            for instance, values in zip(instances, returned, strict=True):
                for value, field in zip(values, compiled.returning, strict=True):
                    setattr(instance, field.attname, value)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = alias
    return True


def _compile_insert(model: type[Model], pk_set: bool, count: int, connection) -> _Insert | None:
    """The statement for `count` rows, written by the ORM for rows of default values; None where it would
    not fit every row of the model (no INSERT … RETURNING, fields with placeholders of their own)."""
    meta = model._meta
    features = connection.features
    if not features.can_return_columns_from_insert or (
        count > 1 and not features.can_return_rows_from_bulk_insert
    ):
        return None
    fields = [
        f for f in meta.local_concrete_fields if not f.generated and (pk_set or f is not meta.auto_field)
    ]
    if any(getattr(f, "get_placeholder", None) is not None for f in fields):
        return None
    query = InsertQuery(model)
    query.insert_values(fields, [model() for _ in range(count)])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = meta.db_returning_fields
    [(sql, params)] = compiler.as_sql()
    by_column = count > 1 and len(params) == len(fields) and all(isinstance(p, list) for p in params)
    if not by_column and len(params) != len(fields) * count:
        return None
    returning = list(meta.db_returning_fields)
    columns = [field.get_col(meta.db_table) for field in returning]
    return _Insert(
        fields=fields,
        sql=sql,
        by_column=by_column,
        returning=returning,
        returning_params=tuple(compiler.returning_params),
        converters=compiler.get_converters(columns),
        compiler=compiler,
    )
