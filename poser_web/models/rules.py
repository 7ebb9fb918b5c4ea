"""The rules a table declares, read in one place for every writer that enforces them.

A model declares its rules where SQLAlchemy already lets it, once:

    code: Mapped[str] = mapped_column(String(12), unique=True)              # a unique key
    __table_args__ = (UniqueConstraint("lot", "serial"),)                   # a composite one
    rating: Mapped[int] = mapped_column(Integer, info={"min": 1, "max": 5})  # a range
    balance: Mapped[Decimal] = mapped_column(Numeric(10, 2), info={"min": 0})  # a minimum

The database enforces each: unique constraints and unique indexes as declared, and a
range (inclusive; either end may be left out) as the CHECK constraint
`ck_<table>_<column>_range`, added to a mapped class's table as the class is declared (so
`create_all` and autogenerate see it; db/check_constraints.py makes autogenerate and
`alembic check` compare CHECK constraints). Before writing, the forms and the import
check values against the same declarations here: `check_value` / `check_values` for
ranges, `find_conflicts` (one record) and `find_row_conflicts` (many rows, one query
per key) for unique keys. What the database refuses anyway is explained by
violations.py. No HTTP here.
"""
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import CheckConstraint, Table, and_, event, inspect, select, tuple_
from sqlalchemy import UniqueConstraint as SQLUniqueConstraint
from sqlalchemy.orm import Mapper

IN_CHUNK = 500  # value tuples per IN (...) of a bulk check


# -- ranges ----------------------------------------------------------------------------


def bounds(column):
    """(minimum, maximum) a column declares in its info; None for an open end."""
    info = getattr(column, "info", None) or {}
    return info.get("min"), info.get("max")


def range_name(column):
    """The name the range's CHECK constraint is given (the naming convention adds ck_<table>_)."""
    return f"{column.name}_range"


@event.listens_for(Mapper, "instrument_class")
def _add_range_checks(mapper, class_):
    """A mapped class's columns declaring info min/max get their CHECK constraints, as the
    class is declared (before create_all or autogenerate see the table)."""
    table = mapper.local_table
    if not isinstance(table, Table):
        return
    for column in table.columns:
        low, high = bounds(column)
        if (low is None and high is None) or any(
                isinstance(c, CheckConstraint) and c.info.get("range_of") == column.name
                for c in table.constraints):
            continue  # no range, or its constraint is there already
        conditions = []  # DDL and autogenerate write the bounds as literals
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column <= high)
        table.append_constraint(CheckConstraint(and_(*conditions), name=range_name(column),
                                                info={"range_of": column.name}))


def range_text(column):
    """What a range asks, for people: "from 1 to 5", "at least 0", "at most 10"."""
    low, high = bounds(column)
    if low is not None and high is not None:
        return f"from {_number(low)} to {_number(high)}"
    if low is not None:
        return f"at least {_number(low)}"
    return f"at most {_number(high)}"


def _number(value):
    return f"{value:,}" if isinstance(value, int) else str(value)


def check_value(column, value):
    """The message when `value` is outside the column's declared range, else None."""
    low, high = bounds(column)
    if value is None or (low is None and high is None):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None  # not a number: the column's type says so, not its range
    if (low is not None and number < Decimal(str(low))) or \
            (high is not None and number > Decimal(str(high))):
        return f"Out of range: enter a number {range_text(column)}."
    return None


def check_values(model, values):
    """{attribute: message} for the values (by attribute key) outside a declared range."""
    columns = _columns_by_key(model)
    problems = {}
    for key, value in values.items():
        if key in columns:
            message = check_value(columns[key], value)
            if message:
                problems[key] = message
    return problems


# -- unique keys -----------------------------------------------------------------------


@dataclass(frozen=True)
class UniqueKey:
    """A unique constraint or unique index: its name and its columns' attribute keys."""

    name: str
    keys: tuple
    columns: tuple


@lru_cache(maxsize=None)
def unique_keys(model):
    """The model's unique keys (single and composite; the primary key left out), each once.

    From `unique=True` columns, UniqueConstraint and unique Index. A partial unique index
    (postgresql_where / sqlite_where) is left to the database.
    """
    table = model.__table__
    by_column = {column: key for key, column in _columns_by_key(model).items()}
    found, seen = [], set()
    candidates = [c for c in table.constraints if isinstance(c, SQLUniqueConstraint)]
    candidates += [i for i in table.indexes if i.unique and not _partial(i)]
    for item in sorted(candidates, key=lambda c: str(c.name)):
        columns = tuple(item.columns)
        if not columns or any(c not in by_column for c in columns):
            continue  # an expression index: nothing a form field holds
        signature = frozenset(columns)
        if signature in seen or signature == frozenset(table.primary_key.columns):
            continue
        seen.add(signature)
        found.append(UniqueKey(str(item.name), tuple(by_column[c] for c in columns), columns))
    return tuple(found)


def _partial(index):
    return any(options.get("where") is not None for options in index.dialect_options.values()
               if hasattr(options, "get"))


def _columns_by_key(model):
    return {attr.key: attr.columns[0] for attr in inspect(model).column_attrs}


@dataclass(frozen=True)
class Conflict:
    """A unique key whose values another record holds already."""

    key: UniqueKey
    existing: object  # the record (one row of the model)


def key_values(model, key, values, instance=None):
    """The values the record will have for `key`'s columns, or None when one is unknown or
    NULL (a NULL never conflicts)."""
    found = []
    for name, column in zip(key.keys, key.columns):
        if name in values:
            value = values[name]
        elif instance is not None and inspect(instance).persistent:
            value = getattr(instance, name)
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg
        else:
            return None
        if value is None:
            return None
        found.append(value)
    return tuple(found)


def find_conflicts(session, model, values, instance=None):
    """[Conflict] for the record `values` (by attribute key) would make: each unique key
    another record of `model` holds these values of already. `instance` is the record
    being edited (None: a new one)."""
    conflicts = []
    pk = inspect(model).primary_key
    for key in unique_keys(model):
        wanted = key_values(model, key, values, instance)
        if wanted is None:
            continue
        query = select(model).where(and_(*(c == v for c, v in zip(key.columns, wanted))))
        if instance is not None and inspect(instance).persistent:
            identity = inspect(instance).identity
            query = query.where(tuple_(*pk) != tuple_(*identity) if len(pk) > 1
                                else pk[0] != identity[0])
        with session.no_autoflush:
            existing = session.scalars(query.limit(1)).first()
        if existing is not None:
            conflicts.append(Conflict(key, existing))
    return conflicts


@dataclass(frozen=True)
class RowConflict:
    """A row (of a list handed to find_row_conflicts) whose key values are taken: by a
    record of the table (its primary key `existing`) or by an earlier row (`row`)."""

    key: UniqueKey
    values: tuple
    existing: object = None
    row: int | None = None

    def message(self, title):
        fields = " and ".join(k.replace("_", " ") for k in self.key.keys)
        shown = ", ".join(str(v) for v in self.values)
        if self.row is not None:
            return f"{fields} {shown} is used by row {self.row + 1} too: it must be unique."
        return f"Another {title.lower()} ({self.existing}) has {fields} {shown} already."


def find_row_conflicts(connection, model, rows):
    """{row index: [RowConflict]} for a list of rows (dicts by attribute key) about to be
    written to `model`'s table: key values another record holds (one query per unique key
    and IN_CHUNK rows) or an earlier row of the list holds. A row carrying the primary key
    of the record it updates does not conflict with that record."""
    pk = inspect(model).primary_key[0]
    conflicts = {}
    for key in unique_keys(model):
        wanted, first_row = {}, {}
        for index, values in enumerate(rows):
            found = key_values(model, key, values)
            if found is None:
                continue
            if found in first_row:
                conflicts.setdefault(index, []).append(
                    RowConflict(key, found, row=first_row[found]))
                continue
            first_row[found] = index
            wanted[found] = values.get(pk.key)
        for existing_key, found in _taken(connection, key, pk, list(wanted)):
            if wanted[found] != existing_key:
                conflicts.setdefault(first_row[found], []).append(
                    RowConflict(key, found, existing=existing_key))
    return {index: conflicts[index] for index in sorted(conflicts)}


def _taken(connection, key, pk, value_tuples):
    """(primary key, key values) of the table's rows holding any of `value_tuples`."""
    columns = key.columns
    target = columns[0] if len(columns) == 1 else tuple_(*columns)
    for start in range(0, len(value_tuples), IN_CHUNK):
        chunk = value_tuples[start:start + IN_CHUNK]
        values = [v[0] for v in chunk] if len(columns) == 1 else chunk
        for row in connection.execute(select(pk, *columns).where(target.in_(values))):
            yield row[0], tuple(row[1:])
