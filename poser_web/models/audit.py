"""Records a Change for every saved change to a widget or its components.

Runs at flush, so every writer through the ORM is covered (web, shell); the
importer writes its Change rows itself, in bulk, with the same shape (`make_change`).
Who: the request's user, or the session's `runas` for command-line work.
"""
import json

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .history import Change
from .meta import new_uuid
from .widgets import Component, Widget

WIDGET_FIELDS = ("description", "active")
COMPONENT_FIELDS = ("item_code", "description", "active")


def actor(session):
    """(username, source) for the changes `session` is about to save."""
    request = session.info.get("request")
    if request is not None:
        identity = request.identity
        return (identity.username if identity else None), "web"
    return session.info.get("runas"), session.info.get("source", "shell")


def row_values(component):
    return {"uuid": component.uuid, **{f: getattr(component, f) for f in COMPONENT_FIELDS}}


def field_changes(obj, fields):
    """{field: [old, new]} for the fields changed on a persistent object."""
    changes = {}
    state = inspect(obj)
    for name in fields:
        history = state.attrs[name].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[name] = [old, new]
    return changes


def summarize(action, diff):
    if action == "export":
        return f"Exported {diff['widgets']:,} widgets and {diff['components']:,} components"
    rows = diff.get("components", {})
    counts = [f"{len(rows[k])} component{'s' if len(rows[k]) != 1 else ''} {k}"
              for k in ("added", "changed", "removed") if rows.get(k)]
    if action == "create":
        return "Created" + (f" with {counts[0].replace(' added', '')}" if counts else "")
    if action == "delete":
        removed = len(rows.get("removed", []))
        return "Deleted" + (f" with its {removed} component{'s' if removed != 1 else ''}"
                            if removed else "")
    fields = list(diff.get("fields", {}))
    parts = ([f"Changed {', '.join(fields)}"] if fields else []) + counts
    return "; ".join(parts) or "Saved without changes"


def make_change(action, widget_uuid, label, diff, username, source, when=None, entity="widget"):
    """Column values of one Change row (for the ORM or a bulk insert)."""
    values = {
        "uuid": new_uuid(), "username": username, "source": source, "entity": entity,
        "entity_uuid": widget_uuid, "entity_label": (label or "")[:255], "action": action,
        "summary": summarize(action, diff)[:255], "diff": json.dumps(diff, sort_keys=True),
    }
    if when is not None:
        values["changed_at"] = when
    return values


class _Pending:
    def __init__(self, widget, action):
        self.widget, self.action = widget, action
        self.fields, self.added, self.changed, self.removed = {}, [], [], []

    def diff(self):
        diff = {"fields": self.fields} if self.fields else {}
        rows = {k: v for k, v in (("added", self.added), ("changed", self.changed),
                                  ("removed", self.removed)) if v}
        if rows:
            diff["components"] = rows
        return diff


@event.listens_for(Session, "before_flush")
def record_changes(session, flush_context, instances):
    pending = {}

    def entry(widget, action="update"):
        if widget.uuid is None:
            widget.uuid = new_uuid()
        if widget.uuid not in pending:
            pending[widget.uuid] = _Pending(widget, action)
        return pending[widget.uuid]

    with session.no_autoflush:
        for obj in session.new:
            if isinstance(obj, Widget):
                entry(obj, "create").fields = {f: [None, getattr(obj, f)] for f in WIDGET_FIELDS}
        for obj in session.deleted:
            if isinstance(obj, Widget):
                item = entry(obj, "delete")
                item.fields = {f: [getattr(obj, f), None] for f in WIDGET_FIELDS}
                item.removed = [row_values(c) for c in obj.components]
        for obj in session.dirty:
            if isinstance(obj, Widget) and obj.uuid not in pending:
                changes = field_changes(obj, WIDGET_FIELDS)
                if changes:
                    entry(obj).fields = changes
        for obj in session.new:
            if isinstance(obj, Component) and obj.widget is not None:
                if obj.uuid is None:
                    obj.uuid = new_uuid()
                entry(obj.widget).added.append(row_values(obj))
        for obj in session.dirty:
            if isinstance(obj, Component) and obj.widget is not None:
                changes = field_changes(obj, COMPONENT_FIELDS)
                if changes:
                    entry(obj.widget).changed.append(
                        {"uuid": obj.uuid, "item_code": obj.item_code, "fields": changes})
        removed = set()
        for obj in session.dirty:
            # Rows dropped from a widget's list are deleted later in the flush
            # (delete-orphan), so they show only in the collection's history.
            if isinstance(obj, Widget) and obj not in session.deleted:
                for component in inspect(obj).attrs.components.history.deleted:
                    removed.add(component)
                    entry(obj).removed.append(row_values(component))
        for obj in session.deleted:
            if isinstance(obj, Component) and obj not in removed:
                widget = obj.widget or _former_widget(session, obj)
                if widget is not None and widget not in session.deleted:
                    entry(widget).removed.append(row_values(obj))

    if not pending:
        return
    username, source = actor(session)
    for item in pending.values():
        diff = item.diff()
        if item.action == "update" and not diff:
            continue
        session.add(Change(**make_change(item.action, item.widget.uuid, item.widget.description,
                                         diff, username, source)))


def _former_widget(session, component):
    """The widget a component was just removed from (delete-orphan)."""
    history = inspect(component).attrs.widget.history
    if history.deleted:
        return history.deleted[0]
    return session.get(Widget, component.widget_uuid) if component.widget_uuid else None
