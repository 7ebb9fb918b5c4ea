"""Rows written in bulk into a target: one statement per table and kind (and chunk), so a
batch of a thousand records costs a handful of round trips.

PostgreSQL: COPY for inserts; COPY into a temporary table and one UPDATE ... FROM it for
updates. SQLite: multi-row INSERT ... VALUES, and UPDATE ... FROM a VALUES list (SQLite 3.33+).
One statement for many rows matters beyond round trips: statement triggers (PostgreSQL: change
capture, counts) run once per statement, and SQLite's FTS5 search tables flush their pending
terms once per statement instead of once per row (about three times faster with the trigram
indexes). Values go through the column types' bind processors (an Enum as its value, a SQLite
DateTime as text).
"""
from sqlalchemy import delete

from ..db.update_from import copy_update
from ..transfer.writer import copy_rows
from .entities import among

CHUNK = 2000                 # keys per DELETE ... IN (...)
SQLITE_PARAMETERS = 30_000   # bound values per statement (SQLite allows 32,766)


def _processors(connection, columns):
    dialect = connection.dialect
    return [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]


def _processed(rows, names, processors):
    """The rows as lists of driver values, in `names` order."""
    values = [[row[name] for name in names] for row in rows]
    for index, processor in enumerate(processors):
        if processor is not None:
            for row in values:
                row[index] = processor(row[index])
    return values


def _sqlite_rows(connection, head, tail, names, values):
    """`head` VALUES (?, ...), (?, ...) ... `tail` for as many rows as one statement takes."""
    per = max(1, SQLITE_PARAMETERS // len(names))
    marks = "(" + ", ".join("?" * len(names)) + ")"
    for start in range(0, len(values), per):
        chunk = values[start:start + per]
        connection.exec_driver_sql(f"{head} VALUES {', '.join([marks] * len(chunk))}{tail}",
                                   tuple(value for row in chunk for value in row))


def insert_rows(connection, table, rows):
    """Insert dict rows that all have the same keys (column names)."""
    if not rows:
        return
    names = list(rows[0])
    values = _processed(rows, names, _processors(connection, [table.c[n] for n in names]))
    if connection.dialect.driver == "psycopg":
        copy_rows(connection, table.name, names, values)
        return
    quote = connection.dialect.identifier_preparer.quote
    _sqlite_rows(connection, f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))})",
                 "", names, values)


def update_rows(connection, table, key, changes):
    """UPDATE rows by `key` (a column name): `changes` are (row, changed) pairs, `row` a dict
    of every column to keep and `changed` the names of those that differ. PostgreSQL sets the
    whole rows in one statement; SQLite one statement per set of changed columns, so a
    trigger on a column that did not change (a search index) does not fire."""
    if not changes:
        return
    if connection.dialect.driver == "psycopg":
        _copy_update(connection, table, key, [row for row, _ in changes])
        return
    groups = {}
    for row, changed in changes:
        groups.setdefault(tuple(changed), []).append(row)
    quote = connection.dialect.identifier_preparer.quote
    for assigned, rows in groups.items():
        names = [key] + [name for name in assigned if name != key]
        values = _processed(rows, names, _processors(connection, [table.c[n] for n in names]))
        target = quote(table.name)
        columns = ", ".join(map(quote, names))
        setting = ", ".join(f"{quote(n)} = poser_rows.{quote(n)}" for n in names[1:])
        _sqlite_rows(connection, f"WITH poser_rows ({columns}) AS (",
                     f") UPDATE {target} SET {setting} FROM poser_rows "
                     f"WHERE {target}.{quote(key)} = poser_rows.{quote(key)}", names, values)


def _copy_update(connection, table, key, rows):
    """PostgreSQL: the rows COPYed into a scratch table, then one UPDATE ... FROM it."""
    names = list(rows[0])
    quote = connection.dialect.identifier_preparer.quote
    scratch = f"poser_datasync_{table.name}"
    values = _processed(rows, names, _processors(connection, [table.c[n] for n in names]))
    assignments = ", ".join(f"{quote(n)} = changed.{quote(n)}" for n in names if n != key)
    copy_update(connection, quote(table.name), quote(scratch), list(map(quote, names)),
                assignments, quote(key), lambda: copy_rows(connection, scratch, names, values))


def delete_keys(connection, table, column, keys):
    """DELETE the rows whose `column` (a Column) is one of `keys`."""
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        connection.execute(delete(table).where(among(connection, column, keys[start:start + CHUNK])))
