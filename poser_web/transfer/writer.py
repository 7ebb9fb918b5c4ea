"""Writes an import's Plan: SQLAlchemy Core bulk statements, children deleted first and
parents inserted first; COPY on PostgreSQL (psycopg 3), executemany in batches elsewhere.

A bulk writer (`poser import`, a batch's execution) wraps its writes in
`bulk_writes(connection)`. On SQLite: a bigger page cache while it writes; a write that is big
next to a table drops the table's FTS triggers and rebuilds its search index once at the end
(load_deferral.py); a write of many rows of a captured table logs its datasync changes a
statement at a time instead of a row at a time (datasync/bulk_capture.py). On both databases, a
write of many child rows of a stored count keeps the count itself a chunk at a time instead of
through the count's triggers (counts.py).
"""
from contextlib import contextmanager
from operator import itemgetter

from sqlalchemy import bindparam, delete, literal_column, update

from ..datasync.bulk_capture import DeferredCapture
from ..db.load_deferral import LoadDeferral
from ..db.update_from import copy_update
from ..models import Change, one_change_per_record
from .counts import DeferredCounts
from .gc_pause import fewer_collections

BATCH = 10_000  # rows per executemany / COPY
IN_CHUNK = 500  # uuids per DELETE ... IN (...)


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


class Staging:
    """SQLite inside `bulk_writes`: a statement's rows go first into a temporary table (no
    index, no trigger: executemany), then into the table with ONE statement (INSERT ...
    SELECT, UPDATE ... FROM).

    Row by row (executemany runs the statement once per row), each row's triggers pay for a
    statement of their own: an FTS5 index flushes its pending terms at every statement, a
    segment per row. 60,000 component rows through executemany cost 5.0 CPU s with the FTS
    triggers and 0.55 s without; staged, 1.2 s and 0.49 s (20,000 updates: 1.9 s and 0.16 s,
    staged 0.25 s and 0.14 s). So a write that keeps the search triggers (small next to its
    table) no longer pays 100-250 µs a row for them.
    """

    def __init__(self, connection):
        self.connection = connection
        self.tables = {}  # the column count -> temporary table name

    def fill(self, bulk, rows):
        """The rows (as `bulk` processes them) in a temporary table of columns c0, c1, ... in
        `bulk.names` order; returns the table's name. Empty it with `clear`."""
        width = len(bulk.names)
        name = self.tables.setdefault(width, f"poser_stage_{width}")
        columns = ", ".join(f"c{index}" for index in range(width))
        # IF NOT EXISTS every time: a rolled-back savepoint may have taken it away.
        self.connection.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns})")
        marks = ", ".join("?" * width)
        for start in range(0, len(rows), BATCH):
            self.connection.exec_driver_sql(f"INSERT INTO temp.{name} VALUES ({marks})",
                                            bulk.parameters(rows[start:start + BATCH]))
        return name

    def clear(self, name):
        self.connection.exec_driver_sql(f"DELETE FROM temp.{name}")

    def finish(self):
        for name in self.tables.values():
            self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
        self.tables = {}


def _copy(connection, table_name, rows, columns, advance=None):
    """PostgreSQL: rows through COPY, several times faster than INSERTs (same transaction).

    `columns` are (column name, row key or index) pairs; names unquoted (quoted here).
    """
    quote = connection.dialect.identifier_preparer.quote
    listed = ", ".join(quote(name) for name, _ in columns)
    keys = [key for _, key in columns]
    # A row's values as a tuple in C (itemgetter), not a list built in Python for each row.
    values = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    cursor = connection.connection.driver_connection.cursor()
    try:
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            with cursor.copy(f"COPY {quote(table_name)} ({listed}) FROM STDIN") as copy:
                write = copy.write_row
                for row in map(values, batch):
                    write(row)
            if advance is not None:
                advance(len(batch))
    finally:
        cursor.close()


def copy_rows(connection, table_name, names, rows):
    """PostgreSQL: tuples of values (in `names` order) through COPY."""
    _copy(connection, table_name, rows, [(name, index) for index, name in enumerate(names)])


def _copy_update(connection, table, rows, assignments, advance=None):
    """PostgreSQL: the changed rows COPYed into a scratch table, then one UPDATE ... FROM it."""
    [key] = table.primary_key.columns
    columns = [(key.name, f"key_{key.key}")] + [(name, name) for name in rows[0]
                                                 if not name.startswith("key_")]
    scratch, quote = f"poser_import_{table.name}", connection.dialect.identifier_preparer.quote
    copy_update(connection, quote(table.name), quote(scratch),
                [quote(name) for name, _ in columns], assignments, quote(key.name),
                lambda: _copy(connection, scratch, rows, columns, advance))


def bulk_insert(connection, table, rows, advance=None):
    """Insert dict rows (all with the same keys): COPY on PostgreSQL, executemany elsewhere."""
    _insert(connection, table, rows, connection.dialect.driver == "psycopg", advance)


def bulk_update(connection, table, rows, keys, advance=None):
    """UPDATE table SET <the other keys> WHERE <keys> for each dict row, through executemany."""
    if not rows:
        return
    statement = update(table).where(*(table.c[key] == bindparam(f"key_{key}") for key in keys))
    statement = statement.values({name: bindparam(name) for name in rows[0]
                                  if not name.startswith("key_")})
    Bulk(connection, statement).run(rows, advance)


BULK = "poser_bulk_writes"
# SQLite's page cache while a bulk writer writes (KiB; its default is 2 MiB): with every index
# of the tables in memory, random-key inserts do not thrash. Restored afterwards.
SQLITE_CACHE_KIB = 65536


class Deferred:
    """What the `write_plan`s of one `bulk_writes` block share."""

    def __init__(self, connection):
        self.load = LoadDeferral(connection)
        self.capture = DeferredCapture(connection)
        self.counts = DeferredCounts(connection)
        self.staging = Staging(connection) if connection.dialect.name == "sqlite" else None

    def wrote(self, spec, written):
        """About to write a chunk of `spec`'s records: {table: rows}. True when the chunk's
        datasync changes are to be logged after its writes, one per record (`log_records`)."""
        for table, rows in written.items():
            self.load.wrote(table, rows)
        return self.capture.records(spec.table, [child.table for child in spec.children],
                                    sum(written.values()))

    def finish(self):
        self.load.finish()
        self.capture.finish()
        self.counts.finish()
        if self.staging is not None:
            self.staging.finish()


@contextmanager
def bulk_writes(connection):
    """The `write_plan`s inside share one `Deferred`: dropped triggers come back (FTS indexes
    rebuilt) when the block ends without an error (before the caller commits). On an error
    the caller must roll back (the triggers come back with it)."""
    if BULK in connection.info:  # nested: the outer block finishes
        yield connection.info[BULK]
        return
    deferred = connection.info[BULK] = Deferred(connection)
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        with fewer_collections():
            yield deferred
        deferred.finish()
    finally:
        connection.info.pop(BULK, None)
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")


def write_plan(connection, spec, plan, phase=None):
    """A chunk's plan as Core bulk statements: child rows deleted first, records inserted first,
    a versioned record's version raised with each update, then the history."""
    one_change_per_record(connection)  # datasync: each record written is one change
    parents, children = [spec.table], [child.table for child in spec.children]
    deferred = connection.info.get(BULK)
    capture = whole = staging = None
    if deferred is not None:
        staging = deferred.staging
        written = {table: sum(len(part.get(table, ())) for part in
                              (plan.inserts, plan.updates, plan.deletes))
                   for table in parents + children}
        if deferred.wrote(spec, written):
            whole = deferred.capture  # one change per record, after the writes
        else:
            capture = deferred.capture  # SQLite: a statement at a time where dropped
        deferred.counts.prepare(plan)
    done = 0

    def advance(count):
        nonlocal done
        done += count
        if phase is not None:
            phase.update_to(done)

    copying = connection.dialect.driver == "psycopg"  # PostgreSQL's COPY, through psycopg 3
    for table in children + parents:
        keys = plan.deletes.get(table, ())
        if capture is not None:
            capture.log(table, keys, deleting=True)
        _delete(connection, table, keys, advance)
    for table in parents + children:
        rows = plan.inserts.get(table, ())
        _insert(connection, table, rows, copying, advance, staging)
        if capture is not None and rows:
            [key] = table.primary_key.columns
            capture.log(table, [row[key.key] for row in rows])
    for table in parents + children:
        bump = spec.versioned and table is spec.table
        rows = plan.updates.get(table, ())
        _update(connection, table, rows, bump, copying, advance, staging)
        if capture is not None and rows:
            [key] = table.primary_key.columns
            capture.log(table, [row[f"key_{key.key}"] for row in rows])
    if deferred is not None:
        deferred.counts.settle()
    if whole is not None:
        whole.log_records(spec.table, [(change["entity_uuid"], change["action"] == "delete")
                                       for change in plan.changes])
    if plan.changes:
        _insert(connection, Change.__table__, plan.changes, copying, None)


def _delete(connection, table, keys, advance):
    [key] = table.primary_key.columns
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start:start + IN_CHUNK]
        connection.execute(delete(table).where(key.in_(chunk)))
        advance(len(chunk))


def _insert(connection, table, rows, copying, advance, staging=None):
    if not rows:
        return
    if copying:
        _copy(connection, table.name, rows, [(name, name) for name in rows[0]], advance)
        return
    bulk = Bulk(connection, table.insert().values({name: bindparam(name) for name in rows[0]}))
    if staging is None:
        bulk.run(rows, advance)
        return
    stage = staging.fill(bulk, rows)
    listed = ", ".join(_quoted(connection, table.c[name].name) for name in bulk.names)
    values = ", ".join(f"c{index}" for index in range(len(bulk.names)))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({listed}) "
                               f"SELECT {values} FROM temp.{stage} ORDER BY rowid")
    staging.clear(stage)
    if advance is not None:
        advance(len(rows))


def _update(connection, table, rows, bump, copying, advance, staging=None):
    """UPDATE each row by its key ("key_<pk>"), setting its other values (and version + 1)."""
    if not rows:
        return
    [key] = table.primary_key.columns
    names = [name for name in rows[0] if not name.startswith("key_")]
    if copying:
        assignments = [f"{_quoted(connection, table.c[n].name)} = changed.{_quoted(connection, table.c[n].name)}"
                       for n in names]
        if bump:
            assignments.append("version = target.version + 1")
        _copy_update(connection, table, rows, ", ".join(assignments), advance)
        return
    values = {name: bindparam(name) for name in names}
    if bump:
        values["version"] = table.c.version + literal_column("1")
    statement = update(table).where(key == bindparam(f"key_{key.key}")).values(values)
    bulk = Bulk(connection, statement)
    if staging is None:
        bulk.run(rows, advance)
        return
    stage = staging.fill(bulk, rows)
    where = bulk.names.index(f"key_{key.key}")
    assignments = [f"{_quoted(connection, table.c[name].name)} = staged.c{index}"
                   for index, name in enumerate(bulk.names) if index != where]
    if bump:
        assignments.append(f"version = {table.name}.version + 1")
    connection.exec_driver_sql(
        f"UPDATE {table.name} SET {', '.join(assignments)} FROM temp.{stage} AS staged "
        f"WHERE {table.name}.{_quoted(connection, key.name)} = staged.c{where}")
    staging.clear(stage)
    if advance is not None:
        advance(len(rows))


def _quoted(connection, name):
    return connection.dialect.identifier_preparer.quote(name)
