"""Widget bulk change batch: every widget a list search matches, with one action — set
active, set inactive, or delete — reviewed as rows before it is executed. Executing needs the
permission the action needs on the widget pages (widgets.edit / widgets.delete)."""
from sqlalchemy import text

from ...batch import register
from ...batch.handler import BatchHandler, RowWriter
from ...models import make_change
from ...transfer import engine
from ...transfer.writer import write_plan
from .models import Component, Widget

ACTIONS = {
    "activate": ("Set active", "widgets.edit"),
    "deactivate": ("Set inactive", "widgets.edit"),
    "delete": ("Delete", "widgets.delete"),
}


@register
class WidgetBulkHandler(BatchHandler):
    key = "widget_bulk"
    title = "Widget bulk change"
    entity = "widget"
    table = Widget.__table__
    list_view = "poser_web.tables.widgets.views:WidgetView"  # whose search picks the widgets
    list_page = "widgets"
    actions = ACTIONS

    def execute_permission(self, batch):
        return ACTIONS[batch.params["action"]][1]

    def populate_keys(self, connection, batch, key_chunks, commit=None):
        """One row per widget uuid of `key_chunks` (lists of uuids)."""
        rows = RowWriter(connection, batch.uuid)
        for keys in key_chunks:
            snapshot = engine.Snapshot(connection, keys)
            for uuid in keys:
                status, values = self._compare(batch, uuid, snapshot)
                rows.add(status, label=snapshot.widgets[uuid][0] if uuid in snapshot.widgets
                         else uuid, entity_uuid=uuid, **values)
            rows.flush()
            self.set_progress(connection, batch.uuid, rows.sequence, rows.sequence)
            if commit is not None:
                commit()

    def _compare(self, batch, uuid, snapshot):
        action = batch.params["action"]
        existing = snapshot.widgets.get(uuid)
        if existing is None:
            return "unchanged", {"message": "Already deleted.", "entity_version": None,
                                 "diff": None}
        description, active, version = existing
        if action == "delete":
            outcome = engine.plan_delete(engine.Plan(), uuid, snapshot, engine.Counts(),
                                         engine.Counts(), None, "batch", None)
            return "delete", {"entity_version": version, "diff": outcome.diff, "message": None}
        wanted = action == "activate"
        if active == wanted:
            return "unchanged", {"entity_version": version, "diff": {}, "message": None}
        return "update", {"entity_version": version, "message": None,
                          "diff": {"fields": {"active": [active, wanted]}}}

    def refresh_rows(self, connection, batch, rows):
        import json

        snapshot = engine.Snapshot(connection, [r.entity_uuid for r in rows])
        changes = {}
        for row in rows:
            status, values = self._compare(batch, row.entity_uuid, snapshot)
            values["diff"] = json.dumps(values["diff"], sort_keys=True) \
                if values["diff"] is not None else None
            changes[row.sequence] = {"status": status, **values}
        return changes

    def lock(self, connection):
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"LOCK TABLE {Widget.__tablename__}, "
                                    f"{Component.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))

    def execute_rows(self, connection, batch, rows, username, source, when):
        snapshot = engine.Snapshot(connection, [r.entity_uuid for r in rows])
        plan, unused = engine.Plan(), engine.Counts()
        wanted = batch.params["action"] == "activate"
        for row in rows:
            if row.status == "delete":
                engine.plan_delete(plan, row.entity_uuid, snapshot, unused, unused, username,
                                   source, when)
            elif row.status == "update":
                description, active, _ = snapshot.widgets[row.entity_uuid]
                plan.widget_updates.append({"key_uuid": row.entity_uuid,
                                            "description": description, "active": wanted})
                plan.changes.append(make_change(
                    "update", row.entity_uuid, description,
                    {"fields": {"active": [active, wanted]}}, username, source, when))
        write_plan(connection, plan)

    def row_summary(self, row):
        from .batch_import import WidgetImportHandler

        return WidgetImportHandler.row_summary(self, row)

    def describe_row(self, row):
        from .batch_import import WidgetImportHandler

        return WidgetImportHandler.describe_row(self, row)
