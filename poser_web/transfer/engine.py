"""The one set of rules that `poser import` and the widget import batch share.

A file is read widget by widget (`layout.iter_widgets`) and handled in chunks of `CHUNK`
widgets, so memory stays flat whatever the file's size:

- `Ledger`: the keys met so far, in a temporary table of the connection (a uuid used twice in
  the file, the components an earlier chunk removed, the widgets `--delete-missing` keeps);
- `Snapshot`: the database rows one chunk touches, read with a few selects;
- `plan_widget` / `plan_delete`: compare one widget of the file (or one to delete) with the
  snapshot: the rows to write into a `Plan` and the difference the history records;
- `writer.write_plan` writes a chunk's plan with bulk statements.
"""
from dataclasses import dataclass, field

from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

from ..models import make_change, new_uuid
from ..tables.widgets.models import Component, Widget
from . import layout
from .writer import bulk_insert

CHUNK = 1000  # widgets compared and written together
IN_CHUNK = 900  # keys per IN (...) (SQLite's old limit was 999 parameters)
LEDGER = "poser_import_keys"

W, C = Widget.__table__, Component.__table__
LEDGER_TABLE = Table(LEDGER, MetaData(), Column("uuid", String(32)), Column("line", Integer),
                     Column("kind", String(1)), Column("widget", String(32)))


@dataclass
class Counts:
    """How many records a run created, updated, deleted and left alone (import, catch-up)."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def total(self):
        return self.created + self.updated + self.deleted + self.unchanged


@dataclass
class Plan:
    widget_inserts: list = field(default_factory=list)
    component_inserts: list = field(default_factory=list)
    widget_updates: list = field(default_factory=list)
    component_updates: list = field(default_factory=list)
    widget_deletes: list = field(default_factory=list)
    component_deletes: list = field(default_factory=list)
    changes: list = field(default_factory=list)

    def size(self):
        return sum(len(rows) for rows in (
            self.widget_inserts, self.component_inserts, self.widget_updates,
            self.component_updates, self.widget_deletes, self.component_deletes, self.changes))


def in_chunks(keys, size=IN_CHUNK):
    keys = list(keys)
    for start in range(0, len(keys), size):
        yield keys[start:start + size]


def select_in(connection, sql, keys):
    """The rows of `sql` ("... IN ({keys})") for `keys`, `IN_CHUNK` keys a statement, run
    through the driver: no statement compiling per chunk (a good part of a chunk's time)."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    for chunk in in_chunks(keys):
        yield from connection.exec_driver_sql(
            sql.format(keys=", ".join([mark] * len(chunk))), tuple(chunk)).all()


class Snapshot:
    """The database rows a chunk of widgets touches (plain selects, no ORM).

    widgets: uuid -> (description, active, version); components: uuid -> (widget_uuid,
    item_code, description, active) of those widgets; by_widget: widget uuid -> component
    uuids; owners: component uuid -> widget uuid for the file's other component uuids.
    """

    def __init__(self, connection, widget_keys, component_keys=()):
        self.widgets, self.components, self.by_widget, self.owners = {}, {}, {}, {}
        widget_keys = list(widget_keys)
        for uuid, description, active, version in select_in(
                connection, f"SELECT uuid, description, active, version FROM {W.name} "
                            "WHERE uuid IN ({keys})", widget_keys):
            self.widgets[uuid] = (description, bool(active), version)
        for uuid, widget_uuid, item_code, description, active in select_in(
                connection, f"SELECT uuid, widget_uuid, item_code, description, active "
                            f"FROM {C.name} WHERE widget_uuid IN ({{keys}})", widget_keys):
            self.components[uuid] = (widget_uuid, item_code, description, bool(active))
            self.by_widget.setdefault(widget_uuid, []).append(uuid)
        others = [key for key in component_keys if key not in self.components]
        self.owners.update(select_in(connection, f"SELECT uuid, widget_uuid FROM {C.name} "
                                                 "WHERE uuid IN ({keys})", others))
        for uuid, row in self.components.items():
            self.owners[uuid] = row[0]

    @classmethod
    def of(cls, connection, widgets):
        """The snapshot for file widgets (`layout.WidgetRow`)."""
        return cls(connection, [w.uuid for w in widgets if w.uuid is not None],
                   [c.uuid for w in widgets for c in w.components if c.uuid is not None])

    def component_values(self, uuid):
        _, item_code, description, active = self.components[uuid]
        return {"uuid": uuid, "item_code": item_code, "description": description, "active": active}

    def removed_components(self, widget_uuid, kept=()):
        removed = [self.component_values(c_uuid) for c_uuid in self.by_widget.get(widget_uuid, ())
                   if c_uuid not in kept]
        removed.sort(key=lambda values: (values["item_code"], values["uuid"]))
        return removed


class Ledger:
    """Keys met so far in a file, kept in a temporary table of `connection` (not in memory).

    kind: w (a widget of the file), c (a component of the file), n (a widget created with a
    fresh uuid), r (a component removed from its widget, with that widget: it cannot move to
    another widget later in the file).
    """

    def __init__(self, connection):
        self.connection = connection
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {LEDGER}")
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {LEDGER} (uuid VARCHAR(32) NOT NULL, line INTEGER NOT NULL, "
            "kind CHAR(1) NOT NULL, widget VARCHAR(32))")
        connection.exec_driver_sql(f"CREATE INDEX {LEDGER}_uuid ON {LEDGER} (uuid)")

    def drop(self):
        self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {LEDGER}")

    def add(self, rows):
        """rows: dicts of uuid, line, kind, widget."""
        bulk_insert(self.connection, LEDGER_TABLE, rows)

    def check(self, widgets, owners):
        """{line: reason} for the uuids of `widgets` met before, and components that belong to
        another widget; records the good widgets' keys. `owners`: the snapshot's."""
        problems, first, rows = {}, {}, []
        for widget in widgets:
            for row, kind in ((widget, "w"), *((c, "c") for c in widget.components)):
                if row.uuid is None:
                    continue
                if row.uuid in first:
                    problems.setdefault(row.line, _twice(row.uuid, first[row.uuid]))
                else:
                    first[row.uuid] = row.line
        earlier, removed_from = {}, {}
        for uuid, line, kind, widget in select_in(
                self.connection, f"SELECT uuid, line, kind, widget FROM {LEDGER} "
                                 "WHERE uuid IN ({keys})", list(first)):
            if kind == "r":
                removed_from[uuid] = widget
            elif kind != "n":
                earlier[uuid] = min(line, earlier.get(uuid, line))
        for widget in widgets:
            for row in (widget, *widget.components):
                if row.uuid in earlier:
                    problems.setdefault(row.line, _twice(row.uuid, earlier[row.uuid]))
            for component in widget.components:
                owner = removed_from.get(component.uuid, owners.get(component.uuid))
                try:
                    layout.check_owner(component, widget, owner)
                except layout.LayoutError as error:
                    problems.setdefault(error.line, error.reason)
        self.add([{"uuid": uuid, "line": line, "kind": "w" if is_widget else "c", "widget": None}
                  for uuid, (line, is_widget) in _kinds(widgets, first).items()])
        return problems


def _kinds(widgets, first):
    found = {}
    for widget in widgets:
        if widget.uuid is not None and first.get(widget.uuid) == widget.line:
            found[widget.uuid] = (widget.line, True)
        for component in widget.components:
            if component.uuid is not None and first.get(component.uuid) == component.line:
                found[component.uuid] = (component.line, False)
    return found


def _twice(uuid, first_line):
    return f"uuid {uuid} appears twice in the file (first on line {first_line})"


def _component_values(uuid, row):
    return {"uuid": uuid, "item_code": row.item_code, "description": row.description,
            "active": row.active}


@dataclass
class Outcome:
    """What one widget of the file does: action create / update / None (unchanged)."""
    uuid: str
    action: str | None
    diff: dict
    version: int | None  # the database's, when the widget exists
    removed: list = field(default_factory=list)  # component uuids the plan deletes


def plan_widget(plan, row, snapshot, wcount, ccount, username, source, when):
    """Compare one file widget (`layout.WidgetRow`) with the snapshot; add its writes and its
    history to `plan`, its counts to `wcount` / `ccount`."""
    existing = snapshot.widgets.get(row.uuid) if row.uuid is not None else None
    if existing is None:
        uuid = row.uuid or new_uuid()
        plan.widget_inserts.append({"uuid": uuid, "description": row.description,
                                    "active": row.active, "version": 1})
        added = []
        for component in row.components:
            c_uuid = component.uuid or new_uuid()
            plan.component_inserts.append({
                "uuid": c_uuid, "widget_uuid": uuid, "item_code": component.item_code,
                "description": component.description, "active": component.active})
            added.append(_component_values(c_uuid, component))
        wcount.created += 1
        ccount.created += len(added)
        diff = {"fields": {"description": [None, row.description], "active": [None, row.active]}}
        if added:
            diff["components"] = {"added": added}
        plan.changes.append(make_change("create", uuid, row.description, diff, username, source,
                                        when))
        return Outcome(uuid, "create", diff, None)

    uuid = row.uuid
    fields = {}
    if existing[0] != row.description:
        fields["description"] = [existing[0], row.description]
    if existing[1] != row.active:
        fields["active"] = [existing[1], row.active]
    added, changed, kept = [], [], set()
    db_components = snapshot.components
    for component in row.components:
        old = db_components.get(component.uuid) if component.uuid is not None else None
        if old is None or old[0] != uuid:
            c_uuid = component.uuid or new_uuid()
            plan.component_inserts.append({
                "uuid": c_uuid, "widget_uuid": uuid, "item_code": component.item_code,
                "description": component.description, "active": component.active})
            added.append(_component_values(c_uuid, component))
            continue
        kept.add(component.uuid)
        c_fields = {}
        if old[1] != component.item_code:
            c_fields["item_code"] = [old[1], component.item_code]
        if old[2] != component.description:
            c_fields["description"] = [old[2], component.description]
        if old[3] != component.active:
            c_fields["active"] = [old[3], component.active]
        if c_fields:
            plan.component_updates.append({
                "key_uuid": component.uuid, "item_code": component.item_code,
                "description": component.description, "active": component.active})
            changed.append({"uuid": component.uuid, "item_code": component.item_code,
                            "fields": c_fields})
        else:
            ccount.unchanged += 1
    removed = snapshot.removed_components(uuid, kept)
    plan.component_deletes.extend(values["uuid"] for values in removed)
    ccount.created += len(added)
    ccount.updated += len(changed)
    ccount.deleted += len(removed)
    removed_keys = [values["uuid"] for values in removed]
    if not (fields or added or changed or removed):
        wcount.unchanged += 1
        return Outcome(uuid, None, {}, existing[2])
    wcount.updated += 1
    plan.widget_updates.append({"key_uuid": uuid, "description": row.description,
                                "active": row.active})
    diff = {"fields": fields} if fields else {}
    rows = {key: value for key, value in
            (("added", added), ("changed", changed), ("removed", removed)) if value}
    if rows:
        diff["components"] = rows
    plan.changes.append(make_change("update", uuid, row.description, diff, username, source, when))
    return Outcome(uuid, "update", diff, existing[2], removed_keys)


def plan_delete(plan, uuid, snapshot, wcount, ccount, username, source, when):
    """Delete a widget of the snapshot with its components; None when it is gone already."""
    existing = snapshot.widgets.get(uuid)
    if existing is None:
        return None
    description, active, version = existing
    removed = snapshot.removed_components(uuid)
    plan.component_deletes.extend(values["uuid"] for values in removed)
    plan.widget_deletes.append(uuid)
    wcount.deleted += 1
    ccount.deleted += len(removed)
    diff = {"fields": {"description": [description, None], "active": [active, None]}}
    if removed:
        diff["components"] = {"removed": removed}
    plan.changes.append(make_change("delete", uuid, description, diff, username, source, when))
    return Outcome(uuid, "delete", diff, version, [values["uuid"] for values in removed])


def missing_widgets(connection, size=CHUNK):
    """Chunks of the uuids of widgets the file (the ledger) does not name, in uuid order."""
    last = ""
    while True:
        keys = connection.scalars(
            select(W.c.uuid).where(W.c.uuid > last, text(
                f"{W.name}.uuid NOT IN (SELECT uuid FROM {LEDGER} WHERE kind IN ('w', 'n'))"))
            .order_by(W.c.uuid).limit(size)).all()
        if not keys:
            return
        yield keys
        last = keys[-1]


def chunks_of(groups, size=CHUNK):
    """(chunk, error) pairs: the widgets read, and the `LayoutError` that stopped reading (the
    last pair) or None. The chunk before an error still comes, so the caller can report an
    earlier problem that only the database shows (a uuid used twice, a component's owner)."""
    iterator = iter(groups)
    while True:
        chunk, error = [], None
        try:
            for group in iterator:
                chunk.append(group)
                if len(chunk) == size:
                    break
        except layout.LayoutError as problem:
            error = problem
        if chunk or error is not None:
            yield chunk, error
        if error is not None or len(chunk) < size:
            return
