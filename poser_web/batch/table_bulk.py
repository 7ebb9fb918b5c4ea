"""Any table's bulk change: every record a list search matches (or the rows ticked on it), with
one of the table's bulk actions (batch/actions.py), reviewed as rows before it is executed.
Making and executing it needs the table's permission the action needs (edit / delete)."""
import json

from ..transfer import engine
from ..transfer.importer import lock_tables
from ..transfer.writer import write_plan
from .actions import Delete
from .describe import describe_row
from .handler import RowWriter
from .table_handler import TableHandler
from .table_import import ACTION_OF


class TableBulkHandler(TableHandler):
    kind, noun = "bulk", "bulk change"

    def __init__(self, spec):
        super().__init__(spec)
        self.actions = {action.key: action for action in spec.bulk_actions}

    def permission_for(self, action_key):
        """The table's permission an action needs (making the batch and executing it)."""
        return self.spec.permission(self.actions[action_key].needs)

    def execute_permissions(self, connection, batch):
        action = batch.params.get("action")
        return {self.permission_for(action)} if action in self.actions else set()

    def populate_keys(self, connection, batch, key_chunks, commit=None):
        """One row per record key of `key_chunks` (lists of keys)."""
        rows = RowWriter(connection, batch.uuid)
        action = self.actions[batch.params["action"]]
        for keys in key_chunks:
            snapshot = engine.Snapshot(connection, self.spec, keys)
            for key in keys:
                status, values = self._compare(action, key, snapshot)
                rows.add(status, label=self._label(snapshot, key), entity_uuid=key, **values)
            rows.flush()
            self.set_progress(connection, batch.uuid, rows.sequence, rows.sequence)
            if commit is not None:
                commit()

    def _label(self, snapshot, key):
        if key not in snapshot.records:
            return key
        values, _ = snapshot.records[key]
        return self.spec.label_of(dict(zip((f.column.key for f in self.spec.fields), values)), key)

    def _plan(self, plan, action, key, snapshot, who):
        if isinstance(action, Delete):
            return engine.plan_delete(plan, self.spec, key, snapshot, engine.Tally(self.spec), who)
        return engine.plan_set(plan, self.spec, key, snapshot, action.field, action.value, who)

    def _compare(self, action, key, snapshot):
        outcome = self._plan(engine.Comparison(), action, key, snapshot, engine.Who())
        if outcome is None:
            return "unchanged", {"message": "Already deleted.", "entity_version": None,
                                 "diff": None}
        status = {"delete": "delete", "update": "update", None: "unchanged"}[outcome.action]
        return status, {"entity_version": outcome.version, "diff": outcome.diff, "message": None}

    def refresh_rows(self, connection, batch, rows):
        action = self.actions[batch.params["action"]]
        snapshot = engine.Snapshot(connection, self.spec, [r.entity_uuid for r in rows])
        changes = {}
        for row in rows:
            status, values = self._compare(action, row.entity_uuid, snapshot)
            values["diff"] = json.dumps(values["diff"], sort_keys=True) \
                if values["diff"] is not None else None
            changes[row.sequence] = {"status": status, **values}
        return changes

    def lock(self, connection):
        lock_tables(connection, self.spec)

    def execute_rows(self, connection, batch, rows, username, source, when):
        action = self.actions[batch.params["action"]]
        snapshot = engine.Snapshot(connection, self.spec, [r.entity_uuid for r in rows])
        plan, who = engine.Plan(), engine.Who(username, source, when)
        for row in rows:
            self._plan(plan, action, row.entity_uuid, snapshot, who)
        write_plan(connection, self.spec, plan)

    def row_summary(self, row):
        from ..models import audit

        action = ACTION_OF.get(row.status)
        if action is None:
            return row.message or "No change"
        return audit.summarize(action, json.loads(row.diff or "{}"))

    def describe_row(self, row):
        return describe_row(self.spec, json.loads(row.diff or "{}"))
