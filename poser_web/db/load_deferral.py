"""What a bulk load (`poser import`, batch execution) defers to its end: the upkeep of a
table's indexes, and on PostgreSQL of its foreign keys to its owners, maintained per row while
the write is small next to the table and done once, before commit, when it is big.

* SQLite: the FTS triggers of the search indexes (search_index.py) are dropped and the
  indexes rebuilt once.
* PostgreSQL: the trigram and other plain indexes (load_indexes.py) are dropped and built
  again from their own definitions, the foreign keys to tables the same writer writes
  (load_foreign_keys.py) dropped and added again (checked once), then the table ANALYZEd.
"""
from sqlalchemy.exc import DBAPIError

from .load_foreign_keys import add_foreign_keys, drop_foreign_keys, load_foreign_keys
from .load_indexes import load_indexes
from .search_index import (
    fts_table_name,
    restore_search_index_on,
    suspend_search_index_on,
    trigram_index_name,
)

# Bulk writes (`poser import`, batch execution) on SQLite. Row by row through the triggers
# an FTS5 index costs ~200-250 us a written row (FTS5 seems to flush its pending terms at
# each statement's savepoint: one tiny segment per row, merged over and over),
# against ~10-15 us a table row for one 'rebuild' (measured with SQLite 3.40 on the trigram
# tables). A write of more than 1/REBUILD_SHARE of a table's rows therefore drops the table's
# FTS triggers inside the writer's transaction (SQLite DDL is transactional, and the writer
# holds the write lock: nobody else writes meanwhile), and `finish()` puts them back and
# rebuilds the index once before the caller commits; a rollback returns triggers and index as
# they were. 10 rather than the break-even ~16-20 leaves room for a slower rebuild (bigger
# rows, a cold cache). Fewer than REBUILD_MIN_ROWS written rows always keep the triggers.
REBUILD_SHARE = 10
REBUILD_MIN_ROWS = 2_000
# PostgreSQL: a trigram GIN index costs ~14 us an inserted row (60,000 component rows: 0.55 s
# for each of its two), a build ~3 us a table row (0.18 s). So a write of at least twice as
# many rows as the table had (a load into an empty or small table) drops the table's trigram
# indexes and builds them again once before commit (pg_restore's way), from their own
# definitions (pg_get_indexdef). Not for less: updating every row of a table, the build cost
# as much as the updates' index entries (server CPU 2.15-2.23 s without, 2.30 s with, for
# 20,000 widgets and 20,000 components updated). The price: DROP INDEX locks the table against
# readers until the writer commits, so only a write that makes most of what readers would see
# takes it. A role that does not own the table keeps its indexes. The table's other plain
# indexes go and come back with them (load_indexes.py: b-trees build cheaper still).
PG_REBUILD_TIMES = 2


class LoadDeferral:
    """The indexes (and PostgreSQL foreign keys) of the tables a bulk writer writes,
    maintained per row while the write is small next to the table, done once when it is big.

    Call `wrote(table, rows)` before each write of `rows` rows (insert, update, delete) of
    `table`, and `finish()` after the last one and before commit. On an error, the caller
    must roll the transaction (or savepoint) back: triggers and indexes come back with it.
    Does nothing but on SQLite with FTS tables and PostgreSQL with trigram or plain indexes
    or foreign keys to the tables the writer writes too (load_foreign_keys.py).
    """

    def __init__(self, connection):
        self.connection = connection
        self.dialect = connection.dialect.name
        self.enabled = self.dialect in ("sqlite", "postgresql")
        self.columns = {}    # table -> [indexed columns] (SQLite) or {index: definition}
        self.baseline = {}   # table -> rows before the write
        self.written = {}    # table -> rows written so far
        self.suspended = []  # tables whose triggers (indexes, keys) are dropped, in order
        self.owner_keys = {}  # PostgreSQL: table -> (the other tables written, its keys to them)
        self.refused = False  # PostgreSQL: not the tables' owner

    def _indexed(self, table):
        if table.name not in self.columns:
            found = (_trigram_indexes if self.dialect == "postgresql" else _fts_columns)(
                self.connection, table)
            self.columns[table.name] = found
        return self.columns[table.name]

    def _owners(self, table):
        """PostgreSQL: {name: definition} of `table`'s foreign keys to the other tables written
        so far, looked up again only when that set grows (once or twice a table in a load)."""
        others = frozenset(self.written) - {table.name}
        if self.owner_keys.get(table.name, (None,))[0] != others:
            self.owner_keys[table.name] = (others,
                                           load_foreign_keys(self.connection, table, others))
        return self.owner_keys[table.name][1]

    def wrote(self, table, rows):
        """About to write `rows` rows of `table` (a sqlalchemy Table)."""
        if not self.enabled or not rows or table.name in self.suspended or self.refused:
            return
        written = self.written[table.name] = self.written.get(table.name, 0) + rows
        if written < REBUILD_MIN_ROWS:
            # Small writes (a datasync batch) keep the indexes: no catalog look-up, and no
            # count(*) of the table, which read a grown target whole for every batch.
            return
        indexed = self._indexed(table)
        # A table with no index to drop may still have its owners' keys to defer.
        keys = self._owners(table) if self.dialect == "postgresql" else {}
        if not indexed and not keys:
            return
        if table.name not in self.baseline:  # counted when the write first reaches
            # REBUILD_MIN_ROWS: the rows of this writer's earlier, smaller writes are in it
            self.baseline[table.name] = _rows(self.connection, table.name)
        baseline = self.baseline[table.name]
        small = written < PG_REBUILD_TIMES * baseline if self.dialect == "postgresql" \
            else written * REBUILD_SHARE < baseline
        if small:
            return
        if self.dialect == "postgresql":
            if not self._drop_for_load(table, indexed, keys):
                return
        else:
            for column in indexed:
                suspend_search_index_on(self.connection, table.name, column)
        self.suspended.append(table.name)

    def _drop_for_load(self, table, indexes, keys):
        """The indexes, and the foreign keys to tables this writer also writes (its rows'
        owners, load_foreign_keys.py): both checked or built once in `finish`."""
        savepoint = self.connection.begin_nested()
        try:
            for name in indexes:
                self.connection.exec_driver_sql(f"DROP INDEX {name}")
            drop_foreign_keys(self.connection, table, keys)
        except DBAPIError:  # not the table's owner: the indexes stay, maintained per row
            savepoint.rollback()
            self.refused = True
            return False
        savepoint.commit()
        return True

    def finish(self):
        """The dropped triggers again and their indexes rebuilt (inside the transaction)."""
        for table in self.suspended:
            if self.dialect == "postgresql":
                for definition in self.columns[table].values():
                    self.connection.exec_driver_sql(definition)
                add_foreign_keys(self.connection, table, self.owner_keys.pop(table)[1])
                # Statistics of what was loaded: the planner otherwise plans the table as it
                # was (empty) until autovacuum gets to it, and an export right after a big
                # import read the children of each chunk by a scan of the whole table.
                self.connection.exec_driver_sql(f"ANALYZE {table}")
                continue
            for column in self.columns[table]:
                restore_search_index_on(self.connection, table, column)
        self.suspended = []


# PostgreSQL: a table the statistics put at this many rows or more is not counted (its plain
# indexes, load_indexes.py, made every table with one count itself, not only searched ones):
# the estimate settles "twice as many rows as the table had", and a stale one errs towards
# keeping the indexes.
COUNT_BELOW = 1_000_000


def _rows(connection, name):
    if connection.dialect.name == "postgresql":
        estimate = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (name,)).scalar()
        if estimate is not None and estimate >= COUNT_BELOW:
            return int(estimate)
    return connection.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar()


def _fts_columns(connection, table):
    """SQLite: the columns of `table` with an FTS table."""
    names = {fts_table_name(table.name, column.name): column.name for column in table.columns}
    marks = ", ".join("?" * len(names))
    found = {row[0] for row in connection.exec_driver_sql(
        f"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",
        tuple(names))}
    return [column for fts, column in names.items() if fts in found]


def _trigram_indexes(connection, table):
    """PostgreSQL: {name: CREATE INDEX statement} of the trigram indexes of `table`'s columns
    and of its other plain indexes (load_indexes.py): a big load builds them all once."""
    return load_indexes(connection, table,
                        [trigram_index_name(table.name, column.name) for column in table.columns])
