"""Widget import batch: a file in the `poser export` layout (CSV or XLSX) becomes one row per
widget, with its status against the current data and the exact difference; executing it
writes what `poser import` would, by the same rules (`transfer.engine`)."""
import json

from sqlalchemy import text

from ...batch import files, register
from ...batch.handler import BatchHandler, RowWriter
from ...models import audit, new_uuid
from ...transfer import engine, layout
from ...transfer.writer import write_plan
from .models import Component, Widget

STATUS_OF = {"create": "new", "update": "update", None: "unchanged", "delete": "delete"}
ACTION_OF = {"new": "create", "update": "update", "delete": "delete"}


def widget_values(widget):
    return {"uuid": widget.uuid, "description": widget.description, "active": widget.active,
            "components": [[c.uuid, c.item_code, c.description, c.active, c.line]
                           for c in widget.components]}


def widget_row(values, line):
    """The `layout.WidgetRow` a row's values stand for."""
    widget = layout.WidgetRow(line or 0, values["uuid"], values["description"], values["active"])
    widget.components = [layout.ComponentRow(c_line or 0, uuid, item_code, description, active)
                         for uuid, item_code, description, active, c_line in values["components"]]
    return widget


@register
class WidgetImportHandler(BatchHandler):
    key = "widget_import"
    title = "Widget import"
    entity = "widget"
    table = Widget.__table__
    from_file = True
    list_page = "widgets"

    def populate_file(self, connection, batch, path, kind, progress=None, commit=None):
        """Rows from the file, a chunk of widgets at a time; a bad widget is an error row with
        its line and reason. With params delete_missing, widgets the file leaves out get a
        delete row each."""
        rows = RowWriter(connection, batch.uuid)
        ledger = engine.Ledger(connection)
        unused = engine.Counts()
        read = 0

        def advanced(count):
            nonlocal read
            read = count

        with files.opened(path, kind) as (stream, reader):
            groups = layout.iter_widgets(stream, advanced, collect_errors=True, reader=reader)
            for chunk, error in engine.chunks_of(groups):
                if error is not None:
                    raise error  # a file that cannot be read on (broken CSV, not UTF-8)
                good = [g for g in chunk if isinstance(g, layout.WidgetRow)]
                for widget in good:  # a new row's keys are fixed now: execute makes these
                    if widget.uuid is None:
                        widget.uuid = new_uuid()
                    for component in widget.components:
                        if component.uuid is None:
                            component.uuid = new_uuid()
                snapshot = engine.Snapshot.of(connection, good)
                problems = ledger.check(good, snapshot.owners)
                for group in chunk:
                    if isinstance(group, layout.ErrorRow):
                        rows.add("error", message=f"line {group.line}: {group.reason}",
                                 line=group.start, entity_uuid=group.uuid,
                                 label=f"line {group.start}")
                        continue
                    bad = [line for line in (group.line, *(c.line for c in group.components))
                           if line in problems]
                    if bad:
                        rows.add("error", message=f"line {bad[0]}: {problems[bad[0]]}",
                                 line=group.line, entity_uuid=group.uuid,
                                 label=group.description, values=widget_values(group))
                        continue
                    outcome = engine.plan_widget(engine.Plan(), group, snapshot, unused, unused,
                                                 None, "batch", None)
                    rows.add(STATUS_OF[outcome.action], label=group.description, line=group.line,
                             entity_uuid=outcome.uuid, entity_version=outcome.version,
                             values=widget_values(group), diff=outcome.diff)
                rows.flush()
                self.set_progress(connection, batch.uuid, read, rows.sequence)
                if progress is not None:
                    progress(read)
                if commit is not None:
                    commit()
        self.set_progress(connection, batch.uuid, read, rows.sequence)
        if batch.params.get("delete_missing"):
            for keys in engine.missing_widgets(connection):
                snapshot = engine.Snapshot(connection, keys)
                for uuid in keys:
                    outcome = engine.plan_delete(engine.Plan(), uuid, snapshot, unused, unused,
                                                 None, "batch", None)
                    rows.add("delete", label=snapshot.widgets[uuid][0], entity_uuid=uuid,
                             entity_version=outcome.version, diff=outcome.diff)
                rows.flush()
        ledger.drop()

    def refresh_rows(self, connection, batch, rows):
        imports = [r for r in rows if r.status != "delete"]
        widgets = {r.sequence: widget_row(json.loads(r.values), r.line) for r in imports}
        deletes = [r for r in rows if r.status == "delete"]
        snapshot = engine.Snapshot.of(connection, list(widgets.values()))
        gone = engine.Snapshot(connection, [r.entity_uuid for r in deletes])
        unused = engine.Counts()
        changes = {}
        for row in imports:
            widget = widgets[row.sequence]
            try:
                for component in widget.components:
                    layout.check_owner(component, widget, snapshot.owners.get(component.uuid))
            except layout.LayoutError as error:
                changes[row.sequence] = {"status": "error", "message": str(error),
                                         "entity_version": None, "diff": None}
                continue
            outcome = engine.plan_widget(engine.Plan(), widget, snapshot, unused, unused, None,
                                         "batch", None)
            changes[row.sequence] = {"status": STATUS_OF[outcome.action], "message": None,
                                     "entity_version": outcome.version,
                                     "diff": json.dumps(outcome.diff, sort_keys=True)}
        for row in deletes:
            outcome = engine.plan_delete(engine.Plan(), row.entity_uuid, gone, unused, unused,
                                         None, "batch", None)
            if outcome is None:
                changes[row.sequence] = {"status": "unchanged", "entity_version": None,
                                         "message": "Already deleted.", "diff": None}
            else:
                changes[row.sequence] = {"status": "delete", "message": None,
                                         "entity_version": outcome.version,
                                         "diff": json.dumps(outcome.diff, sort_keys=True)}
        return changes

    def lock(self, connection):
        if connection.dialect.name == "postgresql":
            # As `poser import`: nobody else writes widgets or components until we commit.
            connection.execute(text(f"LOCK TABLE {Widget.__tablename__}, "
                                    f"{Component.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))

    def execute_rows(self, connection, batch, rows, username, source, when):
        imports = [widget_row(json.loads(r.values), r.line) for r in rows if r.status != "delete"]
        deletes = [r.entity_uuid for r in rows if r.status == "delete"]
        snapshot = engine.Snapshot.of(connection, imports)
        plan, unused = engine.Plan(), engine.Counts()
        for widget in imports:
            engine.plan_widget(plan, widget, snapshot, unused, unused, username, source, when)
        if deletes:
            doomed = engine.Snapshot(connection, deletes)
            for uuid in deletes:
                engine.plan_delete(plan, uuid, doomed, unused, unused, username, source, when)
        write_plan(connection, plan)

    def row_summary(self, row):
        if row.status == "error":
            return row.message or ""
        action = ACTION_OF.get(row.status)
        if action is None:
            return row.message or "No change"
        return audit.summarize(action, json.loads(row.diff or "{}"))

    def describe_row(self, row):
        """Sections of the row page: fields old → new, components added / changed / removed."""
        diff = json.loads(row.diff or "{}")
        values = json.loads(row.values) if row.values else None
        sections = []
        fields = diff.get("fields", {})
        if fields:
            sections.append({"title": "Fields", "columns": ("Field", "Now", "After"),
                             "rows": [(name, _shown(old), _shown(new))
                                      for name, (old, new) in sorted(fields.items())]})
        components = diff.get("components", {})
        for kind in ("added", "removed"):
            if components.get(kind):
                sections.append({"title": f"Components {kind}",
                                 "columns": ("Item Code", "Description", "Active"),
                                 "rows": [(c["item_code"], c["description"], _shown(c["active"]))
                                          for c in components[kind]]})
        if components.get("changed"):
            sections.append({"title": "Components changed",
                             "columns": ("Item Code", "Field", "Now", "After"),
                             "rows": [(c["item_code"], name, _shown(old), _shown(new))
                                      for c in components["changed"]
                                      for name, (old, new) in sorted(c["fields"].items())]})
        if values is not None and row.status in ("unchanged", "error"):
            sections.append({"title": "Widget in the file", "columns": ("Field", "Value"),
                             "rows": [("Description", values["description"]),
                                      ("Active", _shown(values["active"])),
                                      ("Components", str(len(values["components"])))]})
        return sections


def _shown(value):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)
