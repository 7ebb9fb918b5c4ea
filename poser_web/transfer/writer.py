"""Writes an import's Plan: SQLAlchemy Core bulk statements, children deleted first and
parents inserted first; COPY on PostgreSQL (psycopg 3), executemany in batches elsewhere.

A bulk writer (`poser import`, a batch's execution) wraps its writes in
`deferred_search_index(connection)`: on SQLite a write that is big next to a table drops the
table's FTS triggers and rebuilds its search index once at the end (search_index.py).
"""
from contextlib import contextmanager

from sqlalchemy import bindparam, delete, literal_column, update

from ..db.search_index import DeferredSearchIndex
from ..models import Change, one_change_per_record
from ..tables.widgets.models import Component, Widget

BATCH = 10_000  # rows per executemany / COPY
IN_CHUNK = 500  # uuids per DELETE ... IN (...)

W, C = Widget.__table__, Component.__table__


class Bulk:
    """A Core statement compiled once for the connection's dialect, run through the driver's
    executemany in batches.

    SQLAlchemy's per-row parameter handling (a good part of a bulk write's time) is skipped;
    the column types' bind processors still apply (e.g. SQLite's DateTime as text).
    `statement` must take every value through a bindparam named like the rows' keys.
    """

    def __init__(self, connection, statement):
        dialect = connection.dialect
        compiled = statement.compile(dialect=dialect)
        self.connection, self.sql = connection, str(compiled)
        self.names = list(compiled.positiontup if compiled.positional else compiled.binds)
        self.positional = compiled.positional
        self.processors = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                           for name in self.names]

    def parameters(self, rows):
        """The rows as the driver wants them, processed column by column (C loops)."""
        names = self.names
        columns = [[row[name] for row in rows] for name in names]
        for index, processor in enumerate(self.processors):
            if processor is not None:
                columns[index] = list(map(processor, columns[index]))
        if self.positional:
            return list(zip(*columns))
        return [dict(zip(names, values)) for values in zip(*columns)]

    def run(self, rows, advance=None):
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            self.connection.exec_driver_sql(self.sql, self.parameters(batch))
            if advance is not None:
                advance(len(batch))


def _insert(table, rows):
    return table.insert().values({name: bindparam(name) for name in rows[0]})


def _copy(connection, table_name, rows, columns, advance=None):
    """PostgreSQL: rows through COPY, several times faster than INSERTs (same transaction).

    `columns` are (column name, row key) pairs.
    """
    listed = ", ".join(connection.dialect.identifier_preparer.quote(name) for name, _ in columns)
    keys = [key for _, key in columns]
    cursor = connection.connection.driver_connection.cursor()
    try:
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            with cursor.copy(f"COPY {table_name} ({listed}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row([row[key] for key in keys])
            if advance is not None:
                advance(len(batch))
    finally:
        cursor.close()


def _copy_update(connection, table, rows, assignments, advance=None):
    """PostgreSQL: changed rows COPYed into a temporary table, then one UPDATE ... FROM it.

    One statement instead of one per row, so the component-count trigger (a
    statement trigger) runs once.
    """
    columns = [("uuid", "key_uuid")] + [(name, name) for name in rows[0] if name != "key_uuid"]
    scratch = f"poser_import_{table.name}"
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "
        f"SELECT {', '.join(name for name, _ in columns)} FROM {table.name} WITH NO DATA")
    _copy(connection, scratch, rows, columns, advance)
    connection.exec_driver_sql(f"UPDATE {table.name} AS target SET {assignments} "
                               f"FROM {scratch} AS changed WHERE target.uuid = changed.uuid")
    connection.exec_driver_sql(f"DROP TABLE {scratch}")


def bulk_insert(connection, table, rows, advance=None):
    """Insert dict rows (all with the same keys): COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if connection.dialect.driver == "psycopg":
        _copy(connection, table.name, rows, [(name, name) for name in rows[0]], advance)
    else:
        Bulk(connection, _insert(table, rows)).run(rows, advance)


def bulk_update(connection, table, rows, keys, advance=None):
    """UPDATE table SET <the other keys> WHERE <keys> for each dict row, through executemany."""
    if not rows:
        return
    statement = update(table).where(*(table.c[key] == bindparam(f"key_{key}") for key in keys))
    statement = statement.values({name: bindparam(name) for name in rows[0]
                                  if not name.startswith("key_")})
    Bulk(connection, statement).run(rows, advance)


SEARCH_INDEX = "poser_deferred_search_index"


@contextmanager
def deferred_search_index(connection):
    """The `write_plan`s inside share one `DeferredSearchIndex`: dropped FTS triggers come
    back, with their indexes rebuilt, when the block ends without an error (before the caller
    commits). On an error the caller must roll back (the triggers come back with it)."""
    if SEARCH_INDEX in connection.info:  # nested: the outer block finishes
        yield connection.info[SEARCH_INDEX]
        return
    search = connection.info[SEARCH_INDEX] = DeferredSearchIndex(connection)
    try:
        yield search
        search.finish()
    finally:
        connection.info.pop(SEARCH_INDEX, None)


def write_plan(connection, plan, phase=None):
    """The plan as Core bulk statements, children deleted first and parents inserted first."""
    one_change_per_record(connection)  # datasync: each record written is one change
    done = 0
    search = connection.info.get(SEARCH_INDEX)
    if search is not None:
        search.wrote(C, len(plan.component_deletes) + len(plan.component_inserts)
                     + len(plan.component_updates))
        search.wrote(W, len(plan.widget_deletes) + len(plan.widget_inserts)
                     + len(plan.widget_updates))

    def advance(count):
        nonlocal done
        done += count
        if phase is not None:
            phase.update_to(done)

    def in_chunks(statement_for, keys):
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start:start + IN_CHUNK]
            connection.execute(statement_for(chunk))
            advance(len(chunk))

    def many(statement_for, rows):
        if rows:
            Bulk(connection, statement_for(rows)).run(rows, advance)

    copying = connection.dialect.driver == "psycopg"  # PostgreSQL's COPY, through psycopg 3

    def insert(table, rows):
        if not rows:
            return
        if copying:
            _copy(connection, table.name, rows, [(name, name) for name in rows[0]], advance)
        else:
            many(lambda rows: _insert(table, rows), rows)

    in_chunks(lambda chunk: delete(C).where(C.c.uuid.in_(chunk)), plan.component_deletes)
    in_chunks(lambda chunk: delete(W).where(W.c.uuid.in_(chunk)), plan.widget_deletes)
    insert(W, plan.widget_inserts)
    insert(C, plan.component_inserts)
    if copying:
        if plan.widget_updates:
            _copy_update(connection, W, plan.widget_updates, "description = changed.description, "
                         "active = changed.active, version = target.version + 1", advance)
        if plan.component_updates:
            _copy_update(connection, C, plan.component_updates, "item_code = changed.item_code, "
                         "description = changed.description, active = changed.active", advance)
    else:
        many(lambda rows: update(W).where(W.c.uuid == bindparam("key_uuid")).values(
            description=bindparam("description"), active=bindparam("active"),
            version=W.c.version + literal_column("1")), plan.widget_updates)
        many(lambda rows: update(C).where(C.c.uuid == bindparam("key_uuid")).values(
            item_code=bindparam("item_code"), description=bindparam("description"),
            active=bindparam("active")), plan.component_updates)
    insert(Change.__table__, plan.changes)
