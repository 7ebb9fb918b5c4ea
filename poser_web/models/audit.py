"""Records a Change for every saved change to an Audited record or its child rows.

Runs at flush, so every writer through the ORM is covered (web, shell); the
importer writes its Change rows itself, in bulk, with the same shape (`make_change`).
Who: the request's user, or the session's `runas` for command-line work.

A change's diff: {"fields": {name: [old, new]}, "<children>": {"added": [row...],
"changed": [{"uuid", <first field>, "fields"}], "removed": [row...]}} where
`<children>` is each relationship named in the parent's `__audit_children__`.
"""
import enum
import json
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Null

from ..display.labels import field_label, label_of
from .history import Change
from .meta import new_uuid
from .mixins import Audited, ChildRelation, child_relations


def actor(session):
    """(username, source) for the changes `session` is about to save."""
    request = session.info.get("request")
    if request is not None:
        identity = request.identity
        # The JSON API's views mark their requests (api/write.py): history says "api".
        return (identity.username if identity else None), request.environ.get("poser.source", "web")
    return session.info.get("runas"), session.info.get("source", "shell")


_PLAIN = frozenset((str, bool, int, type(None)))  # kept as they are (most values: first)


def plain(value):
    """A value as JSON keeps it: numbers and dates as text, enums by their value."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Null):  # null(): NULL written over a column's default
        return None
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return value


def row_values(row, fields):
    return {"uuid": row.uuid, **{f: plain(getattr(row, f)) for f in fields}}


def field_changes(obj, fields):
    """{field: [old, new]} for the fields changed on a persistent object."""
    changes = {}
    state = inspect(obj)
    for name in fields:
        history = state.attrs[name].history
        if history.has_changes():
            old = plain(history.deleted[0]) if history.deleted else None
            new = plain(history.added[0]) if history.added else None
            if old != new:
                changes[name] = [old, new]
    return changes


def _counted(count, key, verb=""):
    singular = key.replace("_", " ")
    singular = singular[:-1] if singular.endswith("s") else singular
    return f"{count} {singular}{'s' if count != 1 else ''}{verb}"


def summarize(action, diff, labels=None):
    """One line saying what a change did; `labels`: {field: what people call it}."""
    if action == "export":
        counts = diff.get("counts") or {k: diff[k] for k in ("widgets", "components") if k in diff}
        return "Exported " + " and ".join(f"{count:,} {name.replace('_', ' ')}"
                                          for name, count in counts.items())
    children = {k: v for k, v in diff.items() if k != "fields" and isinstance(v, dict)}
    if action == "create":
        added = [_counted(len(rows["added"]), key) for key, rows in children.items()
                 if rows.get("added")]
        return "Created" + (f" with {' and '.join(added)}" if added else "")
    if action == "delete":
        removed = [_counted(len(rows["removed"]), key) for key, rows in children.items()
                   if rows.get("removed")]
        return "Deleted" + (f" with its {' and '.join(removed)}" if removed else "")
    counts = [_counted(len(rows[kind]), key, f" {kind}") for key, rows in children.items()
              for kind in ("added", "changed", "removed") if rows.get(kind)]
    fields = [(labels or {}).get(f, f) for f in diff.get("fields", {})]
    parts = ([f"Changed {', '.join(fields)}"] if fields else []) + counts
    return "; ".join(parts) or "Saved without changes"


@lru_cache(maxsize=1024)  # a model's fields are named the same while the app runs
def _label(model, field):
    return field_label(model, field).lower()


def make_change(action, entity_uuid, label, diff, username, source, when=None, *, entity,
                model=None):
    """Column values of one Change row (for the ORM or a bulk insert); with the `model`,
    the summary names its fields as every page does ("preferred widget")."""
    labels = {f: _label(model, f) for f in diff.get("fields", {})} if model else None
    values = {
        "uuid": new_uuid(), "username": username, "source": source, "entity": entity,
        "entity_uuid": entity_uuid, "entity_label": (label or "")[:255], "action": action,
        "summary": summarize(action, diff, labels)[:255], "diff": json.dumps(diff, sort_keys=True),
    }
    if when is not None:
        values["changed_at"] = when
    return values


class _Pending:
    def __init__(self, record, action):
        self.record, self.action = record, action
        self.fields = {}
        self.children = {}  # relationship name -> {"added": [...], ...}

    def rows(self, name, kind):
        return self.children.setdefault(name, {}).setdefault(kind, [])

    def diff(self):
        diff = {"fields": self.fields} if self.fields else {}
        for name, kinds in self.children.items():
            kinds = {k: kinds[k] for k in ("added", "changed", "removed") if kinds.get(k)}
            if kinds:
                diff[name] = kinds
        return diff


# Made once: a statement built per flush had its cache key worked out anew every time.
_INSERT_CHANGES = insert(Change.__table__)


@event.listens_for(Session, "before_flush")
def record_changes(session, flush_context, instances):
    pending = {}

    def entry(record, action="update"):
        if record.uuid is None:
            record.uuid = new_uuid()
        key = (type(record), record.uuid)
        if key not in pending:
            pending[key] = _Pending(record, action)
        return pending[key]

    def relations(obj):
        return [r for r in child_relations(type(obj)) if issubclass(r.parent, Audited)]

    # Each of these properties builds a new set when read: read once.
    new, dirty, deleted = list(session.new), list(session.dirty), session.deleted
    with session.no_autoflush:
        for obj in new:
            if isinstance(obj, Audited):
                entry(obj, "create").fields = {
                    f: [None, plain(getattr(obj, f))] for f in obj.audit_fields()
                    if plain(getattr(obj, f)) is not None}
        for obj in deleted:
            if isinstance(obj, Audited):
                item = entry(obj, "delete")
                item.fields = {f: [plain(getattr(obj, f)), None] for f in obj.audit_fields()
                               if getattr(obj, f) is not None}
                for relation in child_relations_of(obj):
                    item.rows(relation.name, "removed").extend(
                        row_values(row, relation.fields) for row in getattr(obj, relation.name))
        for obj in dirty:
            if isinstance(obj, Audited) and (type(obj), obj.uuid) not in pending:
                changes = field_changes(obj, obj.audit_fields())
                if changes:
                    entry(obj).fields = changes
        for obj in new:
            for relation in relations(obj):
                parent = getattr(obj, relation.back)
                if parent is not None:
                    if obj.uuid is None:
                        obj.uuid = new_uuid()
                    entry(parent).rows(relation.name, "added").append(
                        row_values(obj, relation.fields))
        for obj in dirty:
            for relation in relations(obj):
                parent = getattr(obj, relation.back)
                changes = field_changes(obj, relation.fields) if parent is not None else None
                if changes:
                    first = relation.fields[0]
                    entry(parent).rows(relation.name, "changed").append(
                        {"uuid": obj.uuid, first: plain(getattr(obj, first)), "fields": changes})
        removed = set()
        for obj in dirty:
            # Rows dropped from a parent's list are deleted later in the flush
            # (delete-orphan), so they show only in the collection's history.
            if isinstance(obj, Audited) and obj not in deleted:
                for relation in child_relations_of(obj):
                    for row in inspect(obj).attrs[relation.name].history.deleted:
                        removed.add(row)
                        entry(obj).rows(relation.name, "removed").append(
                            row_values(row, relation.fields))
        for obj in deleted:
            if obj in removed:
                continue
            for relation in relations(obj):
                parent = relation.parent_of(session, obj)
                if parent is not None and parent not in deleted:
                    entry(parent).rows(relation.name, "removed").append(
                        row_values(obj, relation.fields))

    if not pending:
        return
    username, source = actor(session)
    rows = []
    for item in pending.values():
        diff = item.diff()
        if item.action == "update" and not diff:
            continue
        record = item.record
        rows.append(make_change(item.action, record.uuid, label_of(record), diff, username, source,
                                entity=record.audit_entity(), model=type(record)))
    if rows:
        # Written by the flush's connection, not added to the session: a Change is never
        # read back by the request that writes it, and the ORM's unit of work for it was a
        # tenth of a save.
        session.connection().execute(_INSERT_CHANGES, rows)


_parent_relations = {}


def child_relations_of(parent):
    """The `__audit_children__` relations of an Audited record."""
    model = type(parent)
    if model not in _parent_relations:
        _parent_relations[model] = [ChildRelation(model, name) for name in model.__audit_children__]
    return _parent_relations[model]
