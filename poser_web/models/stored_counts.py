"""Stored counts: a parent's column holding how many child rows name it, kept by the database for
every writer, so a list can sort by it through an index.

A table declares its counts; nothing else in its code knows how they are kept:

    class Gizmo(Versioned, Audited, Base):
        __stored_counts__ = {"part_count": "parts"}   # count column: the relationship counted
        __audit_exclude__ = ("part_count",)            # kept by the database: not a change

and a migration makes the triggers from a frozen copy of the declaration (`StoredCount`):

    from poser_web.models.stored_counts import StoredCount, create_triggers, recount_all
    create_triggers(op.get_bind(), StoredCount("poser_gizmo", "part_count", "uuid",
                                               "poser_gizmo_part", "gizmo_uuid"))

The triggers (names from `trigger_names`): SQLite row triggers (a child inserted, deleted, moved
to another parent); PostgreSQL statement triggers with transition tables, one UPDATE per
statement however many rows it wrote. Every writer goes through them: the web forms, the API,
raw SQL, the datasync consumers. `missing_counts` lists declared counts whose triggers a
database lacks (SQLite drops a table's triggers when batch mode rebuilds it: a migration that
rebuilds a child table calls `create_triggers` again; tests/tables/test_stored_counts.py checks).

Bulk writers (`poser import`, batch execution: transfer/counts.py) may suspend a count for the
rest of their transaction (`suspend`) and keep it themselves, a chunk at a time: the count of a
parent they insert is known from the child rows they insert with it, and `recount` sets the
count of the existing parents whose child rows they wrote. `resume` (before commit) makes the
triggers count again; a rollback undoes a suspension by itself. Suspending is local to the
writer's transaction: every other writer meanwhile (and after) still goes through the triggers.

- SQLite: the count's triggers are dropped inside the transaction (DDL is transactional, and
  the bulk writer holds the write lock, so nobody writes meanwhile) and created again from the
  SQL they had.
- PostgreSQL: the trigger function returns at once while the transaction-local setting
  `poser.suspend_<function name>` is `on` (`set_config(..., true)`: only this transaction, and
  a rolled-back savepoint takes it back).
"""
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, inspect, text
from sqlalchemy.orm import DeclarativeBase, DeclarativeBaseNoMeta

from .meta import TABLE_PREFIX


@dataclass(frozen=True)
class StoredCount:
    """One stored count, as a migration freezes it: `table.column` holds how many rows of
    `child_table` have `child_key` = `table.key`."""
    table: str
    column: str
    key: str
    child_table: str
    child_key: str

    @property
    def name(self):
        """The trigger function's name, and the base of the triggers'."""
        return f"poser_count_{self.table.removeprefix(TABLE_PREFIX)}_{self.column}"

    @property
    def setting(self):
        """PostgreSQL: the transaction-local setting that suspends the count."""
        return f"poser.suspend_{self.name}"


def trigger_names(count):
    """The count's triggers: a child row inserted, deleted, moved to another parent."""
    return [f"{count.name}_insert", f"{count.name}_delete", f"{count.name}_move"]


# -- declarations ----------------------------------------------------------------------------

def _mapped_classes():
    pending, seen = [DeclarativeBase, DeclarativeBaseNoMeta], set()
    while pending:
        for sub in pending.pop(0).__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
                yield sub


def counts_of(model):
    """The StoredCounts `model` declares in `__stored_counts__` ({column: relationship})."""
    mapper = inspect(model)
    found = []
    for attribute, relationship_name in getattr(model, "__stored_counts__", {}).items():
        relationship = mapper.relationships[relationship_name]
        pairs = relationship.local_remote_pairs
        if len(pairs) != 1:
            raise TypeError(f"stored count {model.__name__}.{attribute}: "
                            f"{relationship_name} must join on one column")
        parent_key, child_key = pairs[0]
        found.append(StoredCount(model.__table__.name, mapper.attrs[attribute].columns[0].name,
                                 parent_key.name, relationship.mapper.local_table.name,
                                 child_key.name))
    return found


def declared_counts():
    """Every StoredCount a mapped class declares, once per (table, column)."""
    found = {}
    for model in _mapped_classes():
        if "__table__" in model.__dict__ and getattr(model, "__stored_counts__", None) \
                and inspect(model, raiseerr=False) is not None:
            for count in counts_of(model):
                found.setdefault((count.table, count.column), count)
    return list(found.values())


# -- the triggers ----------------------------------------------------------------------------

def _sqlite_triggers(c):
    add = f"UPDATE {c.table} SET {c.column} = {c.column} + 1 WHERE {c.key} = NEW.{c.child_key};"
    remove = f"UPDATE {c.table} SET {c.column} = {c.column} - 1 WHERE {c.key} = OLD.{c.child_key};"
    insert, delete, move = trigger_names(c)
    return [
        f"CREATE TRIGGER {insert} AFTER INSERT ON {c.child_table} BEGIN {add} END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {c.child_table} BEGIN {remove} END",
        (f"CREATE TRIGGER {move} AFTER UPDATE OF {c.child_key} ON {c.child_table} "
         f"WHEN NEW.{c.child_key} IS NOT OLD.{c.child_key} BEGIN {remove} {add} END"),
    ]


def _postgresql_statements(c):
    def apply(deltas):
        return (f"UPDATE {c.table} AS parent SET {c.column} = parent.{c.column} + d.delta "
                f"FROM ({deltas}) AS d WHERE parent.{c.key} = d.key;")

    added = f"SELECT {c.child_key} AS key, count(*) AS delta FROM new_rows GROUP BY 1"
    removed = f"SELECT {c.child_key} AS key, -count(*) AS delta FROM old_rows GROUP BY 1"
    moved = (f"SELECT key, sum(delta) AS delta FROM (SELECT {c.child_key} AS key, 1 AS delta "
             f"FROM new_rows UNION ALL SELECT {c.child_key}, -1 FROM old_rows) AS moves "
             "GROUP BY key HAVING sum(delta) <> 0")
    insert, delete, move = trigger_names(c)
    function = f"""
CREATE OR REPLACE FUNCTION {c.name}() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
BEGIN
    IF current_setting('{c.setting}', true) = 'on' THEN
        RETURN NULL;  -- a bulk writer keeps the count itself (stored_counts.suspend)
    END IF;
    IF TG_OP = 'INSERT' THEN {apply(added)}
    ELSIF TG_OP = 'DELETE' THEN {apply(removed)}
    ELSE {apply(moved)}
    END IF;
    RETURN NULL;
END $$"""
    run = f"FOR EACH STATEMENT EXECUTE FUNCTION {c.name}()"
    return [
        function,
        (f"CREATE TRIGGER {insert} AFTER INSERT ON {c.child_table} "
         f"REFERENCING NEW TABLE AS new_rows {run}"),
        (f"CREATE TRIGGER {delete} AFTER DELETE ON {c.child_table} "
         f"REFERENCING OLD TABLE AS old_rows {run}"),
        (f"CREATE TRIGGER {move} AFTER UPDATE ON {c.child_table} "
         f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}"),
    ]


def _postgresql(connection):
    return connection.dialect.name == "postgresql"


def create_triggers(connection, count):
    """The triggers that keep `count` (replacing any it had), then every parent recounted."""
    drop_triggers(connection, count)
    statements = _postgresql_statements(count) if _postgresql(connection) \
        else _sqlite_triggers(count)
    for statement in statements:
        connection.exec_driver_sql(statement)
    recount_all(connection, count)


def drop_triggers(connection, count):
    postgresql = _postgresql(connection)
    for name in trigger_names(count):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}"
                                   + (f" ON {count.child_table}" if postgresql else ""))
    if postgresql:
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {count.name}()")


def installed_triggers(connection, count):
    """The names of the count's triggers the database has."""
    names = trigger_names(count)
    if _postgresql(connection):
        query = text("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                     "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid) "
                     "AND c.relname = :table AND t.tgname IN :names")
    else:
        query = text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                     "AND tbl_name = :table AND name IN :names")
    query = query.bindparams(bindparam("names", expanding=True))
    return set(connection.scalars(query, {"table": count.child_table, "names": names}))


def is_installed(connection, count):
    return installed_triggers(connection, count) == set(trigger_names(count))


def missing_counts(connection, counts=None):
    """The declared counts (or `counts`) whose triggers the database lacks."""
    return [c for c in (declared_counts() if counts is None else counts)
            if not is_installed(connection, c)]


# -- keeping a count by hand (bulk writers) ----------------------------------------------------

def suspend(connection, count):
    """Stop the triggers counting for the rest of the transaction; returns what `resume` needs.
    The caller keeps the count right itself until then (`recount`)."""
    if _postgresql(connection):
        connection.execute(text("SELECT set_config(:name, 'on', true)"), {"name": count.setting})
        return None
    names = trigger_names(count)
    statements = [sql for _, sql in sorted(
        connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                "AND name IN :names").bindparams(bindparam("names", expanding=True)),
                           {"names": names}).all())]
    for name in names:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def resume(connection, count, suspended):
    """The triggers count again (before commit): `suspended` is what `suspend` returned."""
    if _postgresql(connection):
        connection.execute(text("SELECT set_config(:name, '', true)"), {"name": count.setting})
        return
    for statement in suspended:
        connection.exec_driver_sql(statement)


def _real_count(c, parent="parent"):
    return f"(SELECT count(*) FROM {c.child_table} WHERE {c.child_key} = {parent}.{c.key})"


def recount(connection, count, keys):
    """Set the count of the parents with these keys to their real count (only those it
    changes are written)."""
    keys = list(keys)
    if not keys:
        return
    c = count
    if _postgresql(connection):
        connection.exec_driver_sql(
            f"UPDATE {c.table} AS parent SET {c.column} = real.n FROM ("
            f"SELECT k.key, (SELECT count(*) FROM {c.child_table} WHERE {c.child_key} = k.key) "
            f"AS n FROM unnest(%s::text[]) AS k(key)) AS real "
            f"WHERE parent.{c.key} = real.key AND parent.{c.column} <> real.n", (keys,))
    else:
        real = _real_count(c, c.table)
        connection.exec_driver_sql(
            f"UPDATE {c.table} SET {c.column} = {real} WHERE {c.key} IN "
            f"(SELECT value FROM json_each(?)) AND {c.column} <> {real}", (json.dumps(keys),))


def parents_of(connection, count, child_keys, child_pk):
    """The parent keys of the child rows whose primary key (`child_pk`) is in `child_keys`."""
    keys = list(child_keys)
    if not keys:
        return set()
    c = count
    if _postgresql(connection):
        rows = connection.exec_driver_sql(
            f"SELECT DISTINCT {c.child_key} FROM {c.child_table} WHERE {child_pk} = ANY(%s)",
            (keys,))
    else:
        rows = connection.exec_driver_sql(
            f"SELECT DISTINCT {c.child_key} FROM {c.child_table} WHERE {child_pk} IN "
            f"(SELECT value FROM json_each(?))", (json.dumps(keys),))
    return {key for key, in rows}


def recount_all(connection, count):
    """Every parent's count set to its real count."""
    c = count
    real = _real_count(c, c.table)
    connection.exec_driver_sql(f"UPDATE {c.table} SET {c.column} = {real} "
                               f"WHERE {c.column} <> {real}")


def wrong_counts(connection, count):
    """[(parent key, stored, real)] of every parent whose stored count is not its real count."""
    c = count
    real = _real_count(c, c.table)
    return connection.exec_driver_sql(
        f"SELECT {c.key}, {c.column}, {real} FROM {c.table} WHERE {c.column} <> {real} "
        f"ORDER BY {c.key}").all()
