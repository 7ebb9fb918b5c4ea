"""A bulk writer's change capture: a statement (SQLite) or a chunk of records at a time.

The capture's row triggers (capture.py) add a change row for every row written: with the
search index deferred, that is most of a bulk write's remaining cost on SQLite (an
AUTOINCREMENT insert, its index and a timestamp per row). A bulk writer (`poser import`,
batch execution) that has written `MIN_ROWS` rows of a captured table drops the table's
capture triggers inside its transaction and logs each later statement's rows itself with one
INSERT ... SELECT (`log`): the changes the triggers would have added, a record's once per
statement, so folding them into one change per record (models/change_grouping.py) gives the
same changes.

A writer that writes whole records (`transfer/writer.write_plan`: a record, its child rows,
and a history entry for each record it writes) asks `records` instead: past MIN_ROWS the
capture of the record's table and of all its child tables is suspended together, and the
writer logs one change per record it wrote (`log_records`: the changes folding would leave,
without a look-up of the written rows). On PostgreSQL too, where the statement triggers cost
a to_jsonb comparison of every updated row and a look-up of every key of every statement: the
three capture triggers are disabled for the transaction (ALTER TABLE ... DISABLE TRIGGER: the
bulk writer holds the tables in SHARE ROW EXCLUSIVE mode already, and a role that does not own
them keeps the triggers), the lock trigger still takes the capture's lock and notes where the
transaction's changes start, and `log_records` logs the records' keys as the triggers would
(capture.py `_record`), in one statement of a temporary function (`_bulk_record`).

`finish` puts the triggers back before commit; a rollback brings them back by itself.
"""
import json

from sqlalchemy.exc import DBAPIError

from .capture import (CHANNEL, SINCE_SETTING, Captured, create_triggers, drop_triggers,
                      function_name, installed_captures, trigger_names)

MIN_ROWS = 2000  # fewer written rows keep the triggers (dropping them costs a schema change)
NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


class DeferredCapture:
    def __init__(self, connection):
        self.connection = connection
        self.enabled = connection.dialect.name == "sqlite"
        self.captures = None  # table name -> Captured, read once
        self.written = {}     # table name -> rows written so far
        self.suspended = {}   # table name -> Captured whose triggers are dropped
        self.functions = {}   # PostgreSQL: temporary logging function -> its Captured
        self.refused = False  # PostgreSQL: the triggers could not be disabled (not the owner)

    def _captured(self, name):
        if self.captures is None:
            self.captures = {table: found.captured for table, found in
                             installed_captures(self.connection).items()
                             if found.captured is not None and found.current}
        return self.captures.get(name)

    def wrote(self, table, rows):
        """About to write `rows` rows of `table`: past MIN_ROWS, its triggers are dropped."""
        if not self.enabled or not rows or table.name in self.suspended:
            return
        captured = self._captured(table.name)
        if captured is None:
            return
        written = self.written[table.name] = self.written.get(table.name, 0) + rows
        if written >= MIN_ROWS:
            drop_triggers(self.connection, captured)
            self.suspended[table.name] = captured

    def log(self, table, keys, deleting=False):
        """The changes of the rows of `table` with these primary `keys`: after they were
        inserted or updated, before they are deleted (`deleting`)."""
        captured: Captured = self.suspended.get(table.name)
        if captured is None or not keys or not self.enabled:
            return
        action = ("upsert" if captured.child else "delete") if deleting else "upsert"
        c = captured
        self.connection.exec_driver_sql(
            f"INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at) "
            f"SELECT DISTINCT '{c.entity}', {c.key}, '{action}', {NOW} FROM {c.table} "
            f"WHERE {c.pk} IN (SELECT value FROM json_each(?)) AND {c.key} IS NOT NULL",
            (json.dumps(list(keys)),))

    def records(self, table, children, rows):
        """About to write `rows` rows of a chunk of whole records of `table` (with rows of its
        child tables `children`); True when the writer is to log the chunk's changes itself,
        one per record, after its writes (`log_records`): the capture of `table` and of every
        child table is suspended (past MIN_ROWS, all together). Otherwise the triggers (and,
        on SQLite, `log` for a table whose triggers are dropped) capture the chunk."""
        captured = self._captured(table.name)
        if captured is None or captured.child or captured.key != captured.pk or not rows:
            return False
        family = [self._captured(child.name) for child in children]
        if any(c is None or not c.child or c.entity != captured.entity for c in family):
            if self.enabled:  # SQLite: table by table, as before
                for each in (table, *children):
                    self.wrote(each, rows)
            return False  # (an uncaptured child's changes alone are no change)
        if table.name not in self.suspended:
            written = self.written[table.name] = self.written.get(table.name, 0) + rows
            if written < MIN_ROWS or self.refused:
                return False
            if not self._suspend([c for c in (captured, *family) if c.table not in self.suspended]):
                return False
        return all(c.table in self.suspended for c in (captured, *family))

    def _suspend(self, captures):
        if self.enabled:
            for captured in captures:
                drop_triggers(self.connection, captured)
        else:  # PostgreSQL: the capture triggers off for this transaction, the lock kept
            savepoint = self.connection.begin_nested()
            try:
                for captured in captures:
                    self.connection.exec_driver_sql(f"ALTER TABLE {captured.table} " + ", ".join(
                        f"DISABLE TRIGGER {name}" for name in trigger_names(captured)[:3]))
            except DBAPIError:  # not the tables' owner: the triggers capture
                savepoint.rollback()
                self.refused = True
                return False
            savepoint.commit()
        for captured in captures:
            self.suspended[captured.table] = captured
        return True

    def log_records(self, table, records):
        """The changes of whole records of `table` (`records` said so): (key, deleted) pairs,
        one per record written, after the writes. On PostgreSQL through the capture's own
        statements (capture.py: one change per record per transaction, the lock, NOTIFY)."""
        captured: Captured = self.suspended.get(table.name)
        if captured is None or not records:
            return
        if self.enabled:
            self.connection.exec_driver_sql(
                f"INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at) "
                f"VALUES ('{captured.entity}', ?, ?, {NOW})",
                [(key, "delete" if deleted else "upsert") for key, deleted in records])
            return
        function = self._logging_function(captured)
        self.connection.exec_driver_sql(
            f"SELECT pg_temp.{function}(%s, %s)",
            ([key for key, _ in records], ["delete" if deleted else "upsert" for _, deleted in records]))

    def _logging_function(self, captured):
        """PostgreSQL: a temporary function logging (key, action) arrays as the capture
        triggers log a statement's rows, in one statement (`_bulk_record`)."""
        name = f"poser_bulk_{function_name(captured)}"
        if name not in self.functions:
            self.connection.exec_driver_sql(f"""
CREATE OR REPLACE FUNCTION pg_temp.{name}(keys text[], actions text[]) RETURNS void
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    stamp timestamp := clock_timestamp() AT TIME ZONE 'UTC';
    since bigint := nullif(current_setting('{SINCE_SETTING}', true), '')::bigint;
BEGIN {_bulk_record(captured)}
    PERFORM pg_notify('{CHANNEL}', '');
END $$""")
            self.functions[name] = captured
        return name

    def finish(self):
        for captured in self.suspended.values():
            if self.enabled:
                create_triggers(self.connection, captured)
            else:
                self.connection.exec_driver_sql(f"ALTER TABLE {captured.table} " + ", ".join(
                    f"ENABLE TRIGGER {name}" for name in trigger_names(captured)[:3]))
        self.suspended = {}
        for name in self.functions:
            self.connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS pg_temp.{name}(text[], text[])")
        self.functions = {}


def _bulk_record(c):
    """capture.py `_record` for a bulk writer's keys, as ONE statement: each key looked up
    once (not once to relabel and again to insert) and sorted once: 20,000 records' changes
    took 0.14 s of server CPU instead of 0.17-0.20 s (0.11 s with no look-up at all). The
    same index probe a key (enable_seqscan off); a key's earlier change this transaction
    whose action differs is relabelled (upsert and delete are the only actions: the other one
    is the new one)."""
    return f"""
    WITH changed AS MATERIALIZED (
        SELECT DISTINCT ON (key) key, action FROM unnest(keys, actions) AS given(key, action)
        WHERE key IS NOT NULL ORDER BY key, action DESC),
    found AS MATERIALIZED (
        SELECT changed.key, changed.action, prior.id, prior.action AS prior_action
        FROM changed LEFT JOIN LATERAL (
            SELECT c.id, c.action FROM poser_datasync_change AS c
            WHERE c.entity = '{c.entity}' AND c.entity_key = changed.key AND c.id >= since
            LIMIT 1) AS prior ON true),
    relabelled AS (
        UPDATE poser_datasync_change
        SET action = CASE action WHEN 'upsert' THEN 'delete' ELSE 'upsert' END
        WHERE id = ANY(ARRAY(SELECT id FROM found WHERE prior_action <> action)))
    INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at)
    SELECT '{c.entity}', key, action, stamp FROM found WHERE id IS NULL;"""
