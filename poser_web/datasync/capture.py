"""Change capture kept by the database: triggers write `poser_datasync_change` for every writer.

A captured table gets triggers that add a change row for each record it changes, in the same
transaction as the write, whoever writes: the web forms, `poser import`'s bulk statements,
batches, raw SQL. Nothing in Python can bypass it. Which tables: those whose model sets
`__datasync__ = True` (declaration.py); the migration autogenerate writes installs the
triggers (migration.py: `op.create_datasync_capture(Captured(...), ...)`, a frozen copy of the
declaration), and `alembic check` fails while a declared table lacks them — SQLite drops a
table's triggers when batch mode rebuilds it, and the check notices. TRUNCATE is not captured.

One change per record per transaction: a record saved with k child rows is one change of the
record. PostgreSQL: the statement trigger that takes the lock (below) notes in a
transaction-local setting the first change id this transaction may write, and the capture
triggers add no row for a record that already has one since then (every writer, raw SQL
included). SQLite has no transaction-local state a trigger could read: its row triggers log
every row, and the app's writers fold the transaction's rows into one per record before they
commit (models/change_grouping.py); raw SQL writers keep one row per written row.

Ordering: a change's id is its commit order. SQLite has one writer at a time; on PostgreSQL a
BEFORE STATEMENT trigger takes a transaction-level advisory lock, so writers of captured
tables commit one after another from their first captured statement on — without it a
transaction that took id 10 could commit after one that took id 11 and a consumer already
past 11 would skip 10. The AFTER trigger also NOTIFYs `poser_datasync` (delivered at commit),
which wakes the daemon at once.

Each installed capture carries its declaration (a JSON comment in the trigger or function), so
`installed_captures` reads back exactly what a migration made and the comparator can tell a
current capture from a missing, partial, outdated or different one.
"""
import json
import re
from dataclasses import asdict, dataclass

from sqlalchemy import text

CHANNEL = "poser_datasync"
# pg_advisory_xact_lock key held by every transaction that writes a captured table.
ADVISORY_LOCK_KEY = 7_305_113_270_013
# Goes up when the triggers' SQL changes: captures made by an older one compare different.
MECHANISM = 3
# PostgreSQL: the first change id the current transaction may write (transaction-local).
SINCE_SETTING = "poser.datasync_since"
SIGNATURE = re.compile(r"poser_datasync_signature (\{[^}]*\})")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Captured:
    """One captured table, as a migration freezes it."""
    table: str
    entity: str
    key: str = "uuid"          # column holding the entity's key
    pk: str = "uuid"           # the table's own primary key (matches old and new rows on update)
    child: bool = False        # rows belong to the entity (a delete is an upsert of the parent)
    ignore: tuple = ()         # columns whose changes alone are not a change (PostgreSQL)

    def __post_init__(self):
        object.__setattr__(self, "ignore", tuple(self.ignore))
        for name in (self.table, self.entity, self.key, self.pk, *self.ignore):
            if not NAME.match(name):   # they are written into trigger SQL
                raise ValueError(f"datasync capture: {name!r} is not a plain SQL name")

    def signature(self):
        return json.dumps({"v": MECHANISM, **asdict(self), "ignore": list(self.ignore)},
                          sort_keys=True, separators=(",", ":"))


def trigger_names(captured):
    base = f"poser_datasync_{captured.table.removeprefix('poser_')}"
    return [f"{base}_insert", f"{base}_update", f"{base}_delete", f"{base}_lock"]


def function_name(captured):
    return f"poser_datasync_{captured.table.removeprefix('poser_')}_capture"


def _expected_names(table, postgresql):
    return trigger_names(Captured(table, "x"))[:4 if postgresql else 3]


# -- SQLite: row triggers ----------------------------------------------------------------

def _sqlite_statements(c):
    insert_into = "INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at)"
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    delete_action = "upsert" if c.child else "delete"
    names = trigger_names(c)

    def row(ref, action):
        return f"{insert_into} SELECT '{c.entity}', {ref}.{c.key}, '{action}', {now} " \
               f"WHERE {ref}.{c.key} IS NOT NULL;"

    return [
        f"CREATE TRIGGER {names[0]} AFTER INSERT ON {c.table} BEGIN "
        f"/* poser_datasync_signature {c.signature()} */ {row('NEW', 'upsert')} END",
        # A moved child changes both parents; a re-keyed record is gone under its old key.
        f"CREATE TRIGGER {names[1]} AFTER UPDATE ON {c.table} BEGIN {row('NEW', 'upsert')} "
        f"{insert_into} SELECT '{c.entity}', OLD.{c.key}, '{delete_action}', {now} "
        f"WHERE OLD.{c.key} IS NOT NEW.{c.key} AND OLD.{c.key} IS NOT NULL; END",
        f"CREATE TRIGGER {names[2]} AFTER DELETE ON {c.table} BEGIN {row('OLD', delete_action)} END",
    ]


# -- PostgreSQL: statement triggers with transition tables ---------------------------------

LOCK_FUNCTION = f"""
CREATE OR REPLACE FUNCTION poser_datasync_lock() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({ADVISORY_LOCK_KEY});
    -- Under the lock every committed change has a smaller id than any this transaction
    -- writes: changes from here on are this transaction's (one per record, see capture()).
    IF coalesce(current_setting('{SINCE_SETTING}', true), '') = '' THEN
        PERFORM set_config('{SINCE_SETTING}',
                           (SELECT coalesce(max(id), 0) + 1 FROM poser_datasync_change)::text,
                           true);
    END IF;
    RETURN NULL;
END $$"""


def _record(c, changed_rows):
    """Two statements: the last word (upsert or delete) on the keys of `changed_rows` that
    already have a change in this transaction, then a change for each key that has none.

    Each key is looked up on its own (a LATERAL subquery with LIMIT: never flattened into a
    join), so the index condition is all three columns of (entity, entity_key, id), and the
    functions run with enable_seqscan off, so a plan cached while the table was empty (or
    analyzed empty) cannot be a scan of the table either: whatever the statistics, a
    statement costs one index probe per key. The set-wise join and NOT EXISTS this replaces
    got a plan, cached with no statistics (autovacuum off, a fresh database), that read every
    change of the entity since the transaction began, for every statement: quadratic. The
    relabel loop's body runs only for a key whose action flips (deleted after an insert).
    """
    changed = f"""SELECT DISTINCT ON (key) key, action FROM ({changed_rows}) AS rows
            WHERE key IS NOT NULL ORDER BY key, action DESC"""   # upsert beats delete
    prior = f"""LATERAL (
                SELECT c.id, c.action FROM poser_datasync_change AS c
                WHERE c.entity = '{c.entity}' AND c.entity_key = changed.key AND c.id >= since
                LIMIT 1) AS prior"""
    return f"""
        FOR prior_id, new_action IN
            SELECT prior.id, changed.action FROM ({changed}) AS changed
            JOIN {prior} ON prior.action <> changed.action
        LOOP
            UPDATE poser_datasync_change SET action = new_action WHERE id = prior_id;
        END LOOP;
        INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at)
        SELECT '{c.entity}', changed.key, changed.action, stamp FROM ({changed}) AS changed
        LEFT JOIN {prior} ON true
        WHERE prior.id IS NULL;"""


def _postgresql_statements(c):
    names = trigger_names(c)
    delete_action = "upsert" if c.child else "delete"
    ignored = "".join(f" - '{column}'" for column in c.ignore)
    inserted = f"SELECT {c.key} AS key, 'upsert' AS action FROM new_rows"
    deleted = f"SELECT {c.key} AS key, '{delete_action}' AS action FROM old_rows"
    updated = f"""
            SELECT n.{c.key} AS key, 'upsert' AS action
            FROM new_rows n LEFT JOIN old_rows o ON o.{c.pk} = n.{c.pk}
            WHERE o.{c.pk} IS NULL OR (to_jsonb(n){ignored}) IS DISTINCT FROM (to_jsonb(o){ignored})
            UNION ALL
            SELECT o.{c.key}, '{delete_action}'
            FROM old_rows o LEFT JOIN new_rows n ON n.{c.pk} = o.{c.pk}
            WHERE n.{c.pk} IS NULL OR n.{c.key} IS DISTINCT FROM o.{c.key}"""
    body = f"""
CREATE OR REPLACE FUNCTION {function_name(c)}() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
-- poser_datasync_signature {c.signature()}
DECLARE
    stamp timestamp := clock_timestamp() AT TIME ZONE 'UTC';
    since bigint := nullif(current_setting('{SINCE_SETTING}', true), '')::bigint;
    prior_id bigint;
    new_action text;
BEGIN
    IF TG_OP = 'INSERT' THEN {_record(c, inserted)}
    ELSIF TG_OP = 'DELETE' THEN {_record(c, deleted)}
    ELSE {_record(c, updated)}
    END IF;
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$"""
    after = f"FOR EACH STATEMENT EXECUTE FUNCTION {function_name(c)}()"
    return [
        LOCK_FUNCTION,
        body,
        f"CREATE TRIGGER {names[0]} AFTER INSERT ON {c.table} REFERENCING NEW TABLE AS new_rows {after}",
        f"CREATE TRIGGER {names[1]} AFTER UPDATE ON {c.table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {after}",
        f"CREATE TRIGGER {names[2]} AFTER DELETE ON {c.table} REFERENCING OLD TABLE AS old_rows {after}",
        f"CREATE TRIGGER {names[3]} BEFORE INSERT OR UPDATE OR DELETE ON {c.table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION poser_datasync_lock()",
    ]


# -- installing and removing ---------------------------------------------------------------

def create_triggers(connection, captured):
    """Start capturing `captured.table` (its triggers must not exist yet)."""
    statements = (_postgresql_statements if connection.dialect.name == "postgresql"
                  else _sqlite_statements)(captured)
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_triggers(connection, captured):
    """Stop capturing `captured.table` (whatever its triggers were made from)."""
    postgresql = connection.dialect.name == "postgresql"
    for name in trigger_names(captured):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}"
                                   + (f" ON {captured.table}" if postgresql else ""))
    if postgresql:
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function_name(captured)}()")


def create_capture(connection, *captured):
    """Capture these tables (one entity: its table, then its child tables), replacing any
    capture they had. What `op.create_datasync_capture` runs."""
    for table in captured:
        drop_triggers(connection, table)
        create_triggers(connection, table)


def drop_capture(connection, *captured):
    """What `op.drop_datasync_capture` runs."""
    for table in captured:
        drop_triggers(connection, table)


# -- reading back what is installed ---------------------------------------------------------

def installed_triggers(connection):
    """{table: set of datasync trigger names} found in the database."""
    if connection.dialect.name == "postgresql":
        query = ("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                 "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid) AND t.tgname LIKE :pattern")
    else:
        query = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE :pattern"
    found = {}
    for table, name in connection.execute(text(query), {"pattern": "poser_datasync_%"}):
        found.setdefault(table, set()).add(name)
    return found


def _signatures(connection):
    """{table: the signature text found in its capture's SQL}."""
    if connection.dialect.name == "postgresql":
        query = ("SELECT proname, prosrc FROM pg_proc WHERE proname LIKE :pattern "
                 "AND pg_function_is_visible(oid)")
        sources = connection.execute(text(query), {"pattern": "poser_datasync_%_capture"})
    else:
        query = ("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE :pattern")
        sources = connection.execute(text(query), {"pattern": "poser_datasync_%_insert"})
    found = {}
    for _, sql in sources:
        match = SIGNATURE.search(sql or "")
        if match:
            values = json.loads(match.group(1))
            found[values["table"]] = values
    return found


@dataclass(frozen=True)
class Installed:
    """A table's capture as the database has it: `captured` is None when it is partial or
    predates signatures; `current` when it is complete and made by this MECHANISM."""
    captured: Captured | None
    current: bool


def installed_captures(connection):
    """{table: Installed} for every table with a datasync trigger."""
    postgresql = connection.dialect.name == "postgresql"
    signatures = _signatures(connection)
    captures = {}
    for table, names in installed_triggers(connection).items():
        values = signatures.get(table)
        if values is None or not set(_expected_names(table, postgresql)) <= names:
            captures[table] = Installed(None, False)
            continue
        mechanism = values.pop("v", 0)
        try:
            captures[table] = Installed(Captured(**values), mechanism == MECHANISM)
        except (TypeError, ValueError):   # a signature this version cannot read
            captures[table] = Installed(None, False)
    return captures


def captured_entity_names(connection):
    """The entities whose capture this database has."""
    return {found.captured.entity for found in installed_captures(connection).values()
            if found.captured is not None}


def is_installed(installed, captured):
    """Whether `installed` (installed_captures) has exactly `captured`, made by this mechanism."""
    there = installed.get(captured.table)
    return there is not None and there.current and there.captured == captured


def missing_triggers(connection, expected):
    """The captures in `expected` (Captured) not installed as declared: [(table, why)]."""
    installed = installed_captures(connection)
    return [(c.table, "no capture triggers" if c.table not in installed
             else "capture triggers partial, outdated or different")
            for c in expected if not is_installed(installed, c)]
