"""The keys an import has met so far in its file, kept in a temporary table (not in memory)."""
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

from .lookups import in_chunks, keys_in
from . import seen
from .writer import copy_rows

CHUNK = 1000  # keys per chunk of `missing_records` (the engine's chunk)
LEDGER = "poser_import_keys"
LEDGER_TABLE = Table(LEDGER, MetaData(), Column("uuid", String(32)), Column("line", Integer),
                     Column("kind", String(1)), Column("parent", String(32)))
COLUMNS = ("uuid", "line", "kind", "parent")
# SQLite: the temporary database's page cache while a ledger exists (KiB; its default is 2 MiB
# and `writer.bulk_writes` raises only the main database's to 64 MiB). The cache grows only as
# used; 32 MiB leaves headroom under 250 MB RSS (4M keys: 186 MB written, 1 GB at 2 MiB).
SQLITE_TEMP_CACHE_KIB = 32768


class Ledger:
    """Keys met so far in a file, kept in a temporary table of `connection` (not in memory).

    kind: p (a record of the file), c (a child row of the file), n (a record created with a
    fresh key), r (a child row removed from its record, with that record: it cannot move to
    another record later in the file).
    """

    def __init__(self, connection):
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.seen = seen.for_dialect(connection.dialect.name)  # look up only what it cannot rule out
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {LEDGER}")
        columns = ("uuid VARCHAR(32) NOT NULL, line INTEGER NOT NULL, kind CHAR(1) NOT NULL, "
                   "parent VARCHAR(32)")
        if self.sqlite:
            # One b-tree in key order (no rowid table beside an index: half the pages), and a
            # temporary cache that holds it: random uuids inserted into a 2 MiB cache rewrote
            # pages for every row (a 1M-widget import wrote 336 GB and did not finish).
            self.previous_cache = connection.exec_driver_sql("PRAGMA temp.cache_size").scalar()
            connection.exec_driver_sql(f"PRAGMA temp.cache_size=-{SQLITE_TEMP_CACHE_KIB}")
            connection.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {LEDGER} ({columns}, PRIMARY KEY (uuid, line, kind)) "
                "WITHOUT ROWID")
        else:  # its index made when first needed (`_look_up`): most imports never look up
            connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {LEDGER} ({columns})")
        self.indexed = self.sqlite

    def drop(self):
        self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {LEDGER}")
        if self.sqlite:
            self.connection.exec_driver_sql(f"PRAGMA temp.cache_size={int(self.previous_cache)}")

    def add(self, rows):
        """rows: (uuid, line, kind, parent) tuples."""
        if not rows:
            return
        self.seen.add(row[0] for row in rows)
        if not self.sqlite:
            copy_rows(self.connection, LEDGER, COLUMNS, rows)
            return
        # In key order: neighbouring keys land on the same pages. A row met again (a key kept
        # twice) is the same fact: ignored. Plain tuples: the columns need no processing.
        self.connection.exec_driver_sql(
            f"INSERT OR IGNORE INTO {LEDGER} (uuid, line, kind, parent) VALUES (?, ?, ?, ?)",
            sorted(rows, key=_sort_key))

    def keep(self, keys):
        """Keys the file names in rows that cannot be imported: never deleted as "left out"."""
        self.add([(key, 0, "p", None) for key in keys])

    def check(self, spec, records, owners):
        """{line: reason} for the keys of `records` met before, and child rows that belong to
        another record; records the good records' keys. `owners`: the snapshot's."""
        problems, first, met = {}, {}, []
        for record in records:  # each row once, in the file's order
            for row, kind in ((record, "p"), *((child, "c") for rows in record.children.values()
                                               for child in rows)):
                key = row.key
                if key is None:
                    continue
                if key in first:
                    problems.setdefault(row.line, _twice(spec, key, first[key]))
                else:
                    first[key] = row.line
                    met.append((key, row.line, kind, None))
        earlier, removed_from = {}, {}
        for chunk in in_chunks(self.seen.maybe(first)):
            for key, line, kind, parent in self._look_up(chunk):
                if kind == "r":
                    removed_from[key] = parent
                elif kind != "n" and line:
                    earlier[key] = min(line, earlier.get(key, line))
        for record in records:
            if earlier:
                for row in (record, *record.child_rows()):
                    if row.key in earlier:
                        problems.setdefault(row.line, _twice(spec, row.key, earlier[row.key]))
            for child in spec.children:
                owned = owners[child.name]
                for row in record.children.get(child.name, ()):
                    owner = removed_from.get(row.key, owned.get(row.key))
                    if owner is not None:
                        reason = owner_problem(spec, child, row, record, owner)
                        if reason:
                            problems.setdefault(row.line, reason)
        self.add(met)
        return problems

    def _look_up(self, keys):
        if not self.indexed:
            self.connection.exec_driver_sql(f"CREATE INDEX {LEDGER}_uuid ON {LEDGER} (uuid)")
            self.indexed = True
        query = select(LEDGER_TABLE).where(keys_in(self.connection, LEDGER_TABLE.c.uuid))
        return self.connection.execute(query, {"keys": keys})


def _sort_key(row):
    return row[:3]  # the primary key (parent is None but for kind r)


def owner_problem(spec, child, row, record, owner):
    """Why child `row` cannot go under `record` (it belongs to another record), or None."""
    if row.key is not None and owner is not None and owner != record.key:
        return (f"{child.row_type} {row.key} belongs to another {spec.entity} ({owner}) in the "
                f"database, not to the {spec.entity} on line {record.line}")
    return None


def _twice(spec, key, first_line):
    return f"{spec.key.key} {key} appears twice in the file (first on line {first_line})"


def missing_records(connection, spec, size=CHUNK):
    """Chunks of the keys of records the file (the ledger) does not name, in key order."""
    last = ""
    key = spec.key
    while True:
        keys = connection.scalars(
            select(key).where(key > last, text(
                f"{spec.table.name}.{key.name} NOT IN "
                f"(SELECT uuid FROM {LEDGER} WHERE kind IN ('p', 'n'))"))
            .order_by(key).limit(size)).all()
        if not keys:
            return
        yield keys
        last = keys[-1]
