"""SQLite: a bulk writer's change capture, one statement per written statement.

The capture's row triggers (capture.py) add a change row for every row written: with the
search index deferred, that is most of a bulk write's remaining cost on SQLite (an
AUTOINCREMENT insert, its index and a timestamp per row). A bulk writer (`poser import`,
batch execution) that has written `MIN_ROWS` rows of a captured table drops the table's
capture triggers inside its transaction and logs each later statement's rows itself with one
INSERT ... SELECT (`log`): the changes the triggers would have added, a record's once per
statement, so folding them into one change per record (models/change_grouping.py) gives the
same changes. A writer that knows the records it wrote, all of whose captured tables are
suspended (`whole_records`), logs one change per record instead (`log_records`): the changes
the folding would leave, without a look-up of the written rows.
`finish` puts the triggers back before commit; a rollback brings them back by itself.
PostgreSQL's capture is per statement already: nothing to do there.
"""
import json

from .capture import Captured, create_triggers, drop_triggers, installed_captures

MIN_ROWS = 2000  # fewer written rows keep the triggers (dropping them costs a schema change)
NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


class DeferredCapture:
    def __init__(self, connection):
        self.connection = connection
        self.enabled = connection.dialect.name == "sqlite"
        self.captures = None  # table name -> Captured, read once
        self.written = {}     # table name -> rows written so far
        self.suspended = {}   # table name -> Captured whose triggers are dropped

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
        if captured is None or not keys:
            return
        action = ("upsert" if captured.child else "delete") if deleting else "upsert"
        c = captured
        self.connection.exec_driver_sql(
            f"INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at) "
            f"SELECT DISTINCT '{c.entity}', {c.key}, '{action}', {NOW} FROM {c.table} "
            f"WHERE {c.pk} IN (SELECT value FROM json_each(?)) AND {c.key} IS NOT NULL",
            (json.dumps(list(keys)),))

    def whole_records(self, table, children):
        """Whether the records of `table`, with rows of its child tables `children`, can be
        logged one change per record (`log_records`): the triggers of all of them dropped."""
        captured = self.suspended.get(table.name)
        if captured is None or captured.child or captured.key != captured.pk:
            return False
        for child in children:
            found = self.suspended.get(child.name)
            if found is None or not found.child or found.entity != captured.entity:
                return False  # its triggers still log (or, uncaptured, would log nothing)
        return True

    def log_records(self, table, records):
        """The changes of whole records of `table` (`whole_records`): (key, deleted) pairs,
        one per record written, after the writes."""
        captured: Captured = self.suspended.get(table.name)
        if captured is None or not records:
            return
        self.connection.exec_driver_sql(
            f"INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at) "
            f"VALUES ('{captured.entity}', ?, ?, {NOW})",
            [(key, "delete" if deleted else "upsert") for key, deleted in records])

    def finish(self):
        for captured in self.suspended.values():
            create_triggers(self.connection, captured)
        self.suspended = {}
