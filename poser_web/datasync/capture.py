"""Change capture kept by the database: triggers write `poser_datasync_change` for every writer.

A captured table gets triggers that add one change row per changed record (per statement on
PostgreSQL, de-duplicated) in the same transaction as the write, whoever writes: the web
forms, `poser import`'s bulk statements, batches, raw SQL. Nothing in Python can bypass it.

Which tables are captured is declared in CAPTURED; the migration that starts capturing a table
calls `create_triggers(connection, Captured(...))` with a frozen copy of its declaration, and
the matching `drop_triggers` on downgrade. To capture the next table (say poser_gizmo):

1. add `Captured("poser_gizmo", entity="gizmo")` to CAPTURED (child tables: the parent's entity,
   `key=` the column naming the parent, `child=True`: a change to a child row is a change of
   its parent, so consumers ship the parent whole);
2. add its shipping shape to `entities.ENTITIES` (model and child relationships);
3. a migration on the `poser` branch whose upgrade() calls
   `create_triggers(op.get_bind(), Captured("poser_gizmo", entity="gizmo"))`.

SQLite drops a table's triggers when batch mode rebuilds it: a migration that rebuilds a
captured table must call create_triggers() for it again (tests/datasync/test_datasync_capture.py
checks every captured table has its triggers). TRUNCATE is not captured.

Ordering: a change's id is its commit order. SQLite has one writer at a time; on PostgreSQL a
BEFORE STATEMENT trigger takes a transaction-level advisory lock, so writers of captured
tables commit one after another from their first captured statement on — without it a
transaction that took id 10 could commit after one that took id 11 and a consumer already
past 11 would skip 10. The AFTER trigger also NOTIFYs `poser_datasync` (delivered at commit),
which wakes the daemon at once.
"""
from dataclasses import dataclass

from sqlalchemy import text

CHANNEL = "poser_datasync"
# pg_advisory_xact_lock key held by every transaction that writes a captured table.
ADVISORY_LOCK_KEY = 7_305_113_270_013


@dataclass(frozen=True)
class Captured:
    table: str
    entity: str
    key: str = "uuid"          # column holding the entity's key
    pk: str = "uuid"           # the table's own primary key (matches old and new rows on update)
    child: bool = False        # rows belong to the entity (a delete is an upsert of the parent)
    ignore: tuple = ()         # columns whose changes alone are not a change (PostgreSQL)


# The tables captured today: a component change is a change of its widget. component_count is
# kept by triggers of its own (an effect of the component change, already captured).
CAPTURED = (
    Captured("poser_widget", entity="widget", ignore=("component_count",)),
    Captured("poser_component", entity="widget", key="widget_uuid", child=True),
)


def trigger_names(captured):
    base = f"poser_datasync_{captured.table.removeprefix('poser_')}"
    return [f"{base}_insert", f"{base}_update", f"{base}_delete", f"{base}_lock"]


def _sqlite_statements(c):
    insert_into = "INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at)"
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    delete_action = "upsert" if c.child else "delete"
    names = trigger_names(c)

    def row(ref, action):
        return f"{insert_into} SELECT '{c.entity}', {ref}.{c.key}, '{action}', {now} " \
               f"WHERE {ref}.{c.key} IS NOT NULL;"

    return [
        f"CREATE TRIGGER {names[0]} AFTER INSERT ON {c.table} BEGIN {row('NEW', 'upsert')} END",
        # A moved child changes both parents; a re-keyed record is gone under its old key.
        f"CREATE TRIGGER {names[1]} AFTER UPDATE ON {c.table} BEGIN {row('NEW', 'upsert')} "
        f"{insert_into} SELECT '{c.entity}', OLD.{c.key}, '{delete_action}', {now} "
        f"WHERE OLD.{c.key} IS NOT NEW.{c.key} AND OLD.{c.key} IS NOT NULL; END",
        f"CREATE TRIGGER {names[2]} AFTER DELETE ON {c.table} BEGIN {row('OLD', delete_action)} END",
    ]


def _postgresql_statements(c):
    names = trigger_names(c)
    function = f"{names[0].removesuffix('_insert')}_capture"
    delete_action = "upsert" if c.child else "delete"
    ignored = "".join(f" - '{column}'" for column in c.ignore)
    insert_into = "INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at)"
    now = "stamp"
    lock = f"""
CREATE OR REPLACE FUNCTION poser_datasync_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({ADVISORY_LOCK_KEY});
    RETURN NULL;
END $$"""
    body = f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stamp timestamp := clock_timestamp() AT TIME ZONE 'UTC';
BEGIN
    IF TG_OP = 'INSERT' THEN
        {insert_into} SELECT DISTINCT '{c.entity}', {c.key}, 'upsert', {now}
        FROM new_rows WHERE {c.key} IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        {insert_into} SELECT DISTINCT '{c.entity}', {c.key}, '{delete_action}', {now}
        FROM old_rows WHERE {c.key} IS NOT NULL;
    ELSE
        {insert_into} SELECT DISTINCT '{c.entity}', key, action, {now} FROM (
            SELECT n.{c.key} AS key, 'upsert' AS action
            FROM new_rows n LEFT JOIN old_rows o ON o.{c.pk} = n.{c.pk}
            WHERE o.{c.pk} IS NULL OR (to_jsonb(n){ignored}) IS DISTINCT FROM (to_jsonb(o){ignored})
            UNION ALL
            SELECT o.{c.key}, '{delete_action}'
            FROM old_rows o LEFT JOIN new_rows n ON n.{c.pk} = o.{c.pk}
            WHERE n.{c.pk} IS NULL OR n.{c.key} IS DISTINCT FROM o.{c.key}
        ) AS changed WHERE key IS NOT NULL;
    END IF;
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$"""
    after = f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    return [
        lock,
        body,
        f"CREATE TRIGGER {names[0]} AFTER INSERT ON {c.table} REFERENCING NEW TABLE AS new_rows {after}",
        f"CREATE TRIGGER {names[1]} AFTER UPDATE ON {c.table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {after}",
        f"CREATE TRIGGER {names[2]} AFTER DELETE ON {c.table} REFERENCING OLD TABLE AS old_rows {after}",
        f"CREATE TRIGGER {names[3]} BEFORE INSERT OR UPDATE OR DELETE ON {c.table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION poser_datasync_lock()",
    ]


def create_triggers(connection, captured):
    """Start capturing `captured.table` (call from a migration: `op.get_bind()`)."""
    statements = (_postgresql_statements if connection.dialect.name == "postgresql"
                  else _sqlite_statements)(captured)
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_triggers(connection, captured):
    postgresql = connection.dialect.name == "postgresql"
    names = trigger_names(captured)
    for name in names:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}"
                                   + (f" ON {captured.table}" if postgresql else ""))
    if postgresql:
        function = f"{names[0].removesuffix('_insert')}_capture"
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function}()")


def installed_triggers(connection):
    """{table: set of datasync trigger names} found in the database (for checks and tests)."""
    if connection.dialect.name == "postgresql":
        query = ("SELECT event_object_table, trigger_name FROM information_schema.triggers "
                 "WHERE trigger_name LIKE :pattern")
    else:
        query = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE :pattern"
    rows = connection.execute(text(query), {"pattern": "poser_datasync_%"}).all()
    found = {}
    for table, name in rows:
        found.setdefault(table, set()).add(name)
    return found


def missing_triggers(connection):
    """Captured tables whose triggers are not all there: [(table, [missing names])]."""
    found = installed_triggers(connection)
    postgresql = connection.dialect.name == "postgresql"
    missing = []
    for captured in CAPTURED:
        expected = trigger_names(captured)[:4 if postgresql else 3]
        lacking = [name for name in expected if name not in found.get(captured.table, set())]
        if lacking:
            missing.append((captured.table, lacking))
    return missing
