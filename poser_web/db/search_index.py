"""Substring-search indexes for a (table, column), created by migrations.

The list pages search "contains, ignoring case" (poser_web/db/search.py), which
no b-tree index serves. This module makes the index that does, on each
database, so a new table opts in with one migration line:

    from poser_web.db.search_index import create_search_index, drop_search_index

    def upgrade():
        create_search_index("poser_gizmo", "name")

    def downgrade():
        drop_search_index("poser_gizmo", "name")

* PostgreSQL: a pg_trgm GIN index `ix_<table>_<column>_trgm` (ILIKE uses it).
* SQLite: an FTS5 table `<table>_<column>_fts` with the `trigram` tokenizer
  (SQLite >= 3.34), holding only the index (external content: the text stays
  in the table) and keyed by the table's rowid, kept right by three triggers
  for every writer (ORM, the importer's bulk inserts, raw SQL). search.py finds
  these tables when a connection opens and searches through them; without one
  (older SQLite, or a column never indexed) it scans with LIKE.

SQLite drops a table's triggers, and renumbers its rowids, when Alembic's
batch mode rebuilds it: a migration that rebuilds such a table must call
`restore_search_index(table, column)` afterwards (triggers again, index
rebuilt from the table). migrations/env.py leaves these tables (and FTS5's
shadow tables) out of autogenerate: the models do not declare them.
"""
import re

from alembic import op

# The FTS5 table of a column and its shadow tables (FTS5 names them <name>_data, ...).
SEARCH_TABLE = re.compile(r"_fts(_(data|idx|content|docsize|config))?$")


def fts_table_name(table, column):
    return f"{table}_{column}_fts"


def trigram_index_name(table, column):
    return f"ix_{table}_{column}_trgm"


def is_search_table(name):
    """Whether `name` is an FTS5 search table or one of its shadow tables."""
    return bool(SEARCH_TABLE.search(name))


def sqlite_trigram_available(bind):
    """Whether this SQLite has FTS5 with the trigram tokenizer (3.34+)."""
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.poser_trigram_probe USING fts5(x, tokenize='trigram')")
    except Exception:  # no fts5 module, or no trigram tokenizer
        return False
    bind.exec_driver_sql("DROP TABLE temp.poser_trigram_probe")
    return True


def _sqlite_triggers(table, column):
    fts = fts_table_name(table, column)
    remove = f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', OLD.rowid, OLD.{column});"
    add = f"INSERT INTO {fts}(rowid, {column}) VALUES (NEW.rowid, NEW.{column});"
    return {
        f"{fts}_insert": f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"{fts}_delete": f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"{fts}_update": f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} "
                         f"BEGIN {remove} {add} END",
    }


def create_search_index(table, column):
    """The substring-search index of `table.column` on the migrated database."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # A trusted extension since PostgreSQL 13: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX IF NOT EXISTS {trigram_index_name(table, column)} "
                   f"ON {table} USING gin ({column} gin_trgm_ops)")
        return
    if bind.dialect.name != "sqlite" or not sqlite_trigram_available(bind):
        return  # searches scan with LIKE
    fts = fts_table_name(table, column)
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
               "content_rowid='rowid', tokenize='trigram')")
    restore_search_index(table, column)


def restore_search_index(table, column):
    """SQLite: the triggers again and the index rebuilt from the table (after a batch rebuild)."""
    restore_search_index_on(op.get_bind(), table, column)


def restore_search_index_on(connection, table, column):
    """`restore_search_index` on a connection (inside its transaction), not in a migration."""
    if connection.dialect.name != "sqlite":
        return
    fts = fts_table_name(table, column)
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (fts,)).first()
    if not exists:
        return
    for name, statement in _sqlite_triggers(table, column).items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def suspend_search_index_on(connection, table, column):
    """SQLite: the triggers dropped, so writes skip the index (stale until
    `restore_search_index_on`): a bulk load's way (load_deferral.py)."""
    for name in _sqlite_triggers(table, column):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def drop_search_index(table, column):
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {trigram_index_name(table, column)}")
        return
    if bind.dialect.name != "sqlite":
        return
    for name in _sqlite_triggers(table, column):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {fts_table_name(table, column)}")
