"""Comparing one record of the file (or one to delete) with the snapshot: the rows to write
into a `Plan` and the difference the history records (the shape `models/audit.py` records
for the web forms)."""
from dataclasses import dataclass, field

from ..models import make_change, new_uuid
from ..models.audit import plain
from .snapshot import row_values


@dataclass
class Outcome:
    """What one record of the file does: action create / update / None (unchanged)."""
    key: str
    action: str | None
    diff: dict
    version: int | None  # the database's, when the record exists
    removed: list = field(default_factory=list)  # child keys the plan deletes


class Who:
    """Who and what the history records for a run: user, source, time."""

    def __init__(self, username=None, source=None, when=None):
        self.username, self.source, self.when = username, source, when


def _record_row(spec, key, values):
    return {spec.key.key: key, **{f.column.key: v for f, v in zip(spec.fields, values)}}


def _child_row(child, parent, key, values):
    return {child.key.key: key, child.parent_key.key: parent,
            **{f.column.key: v for f, v in zip(child.fields, values)}}


def _change(plan, spec, action, key, values, diff, who):
    if not plan.history:
        return
    label = spec.label_of(dict(zip((f.column.key for f in spec.fields), values)), key)
    plan.changes.append(make_change(action, key, label, diff, who.username, who.source,
                                    who.when, entity=spec.entity))


def plan_record(plan, spec, record, snapshot, tally, who):
    """Compare one file record with the snapshot; add its writes and history to `plan`."""
    existing = snapshot.records.get(record.key) if record.key is not None else None
    if existing is None:
        return _plan_create(plan, spec, record, tally, who)
    key = record.key
    old_values, version = existing
    fields = {f.name: [plain(old), plain(new)] for f, old, new
              in zip(spec.fields, old_values, record.values) if old != new}
    diff = {"fields": fields} if fields else {}
    removed_keys = []
    for child in spec.children:
        rows, removed = _plan_children(plan, spec, child, record, snapshot, tally.children[child.name])
        if rows:
            diff[child.name] = rows
        removed_keys += removed
    if not diff:
        tally.records.unchanged += 1
        return Outcome(key, None, {}, version)
    tally.records.updated += 1
    if fields or spec.versioned:  # the version rises with any change, its child rows' too
        row = {f"key_{spec.key.key}": key,
               **{f.column.key: v for f, v in zip(spec.fields, record.values)}}
        plan.update(spec.table, row)
    _change(plan, spec, "update", key, record.values, diff, who)
    return Outcome(key, "update", diff, version, removed_keys)


def _plan_create(plan, spec, record, tally, who):
    key = record.key or new_uuid()
    row = _record_row(spec, key, record.values)
    if spec.versioned:
        row["version"] = 1
    plan.insert(spec.table, row)
    diff = {"fields": {f.name: [None, plain(v)] for f, v in zip(spec.fields, record.values)
                       if v is not None}}
    for child in spec.children:
        added = []
        for child_row in record.children.get(child.name, ()):
            child_key = child_row.key or new_uuid()
            plan.insert(child.table, _child_row(child, key, child_key, child_row.values))
            added.append(row_values(child, child_key, child_row.values))
        tally.children[child.name].created += len(added)
        if added:
            diff[child.name] = {"added": added}
    tally.records.created += 1
    _change(plan, spec, "create", key, record.values, diff, who)
    return Outcome(key, "create", diff, None)


def _plan_children(plan, spec, child, record, snapshot, counts):
    """The child rows of one updated record: (their diff part, keys removed)."""
    key = record.key
    there = snapshot.children[child.name]
    added, changed, kept = [], [], set()
    first = child.fields[0].name if child.fields else None
    for row in record.children.get(child.name, ()):
        old = there.get(row.key) if row.key is not None else None
        if old is None or old[0] != key:
            child_key = row.key or new_uuid()
            plan.insert(child.table, _child_row(child, key, child_key, row.values))
            added.append(row_values(child, child_key, row.values))
            continue
        kept.add(row.key)
        fields = {f.name: [plain(o), plain(n)] for f, o, n in zip(child.fields, old[1], row.values)
                  if o != n}
        if fields:
            plan.update(child.table, {f"key_{child.key.key}": row.key,
                                      **{f.column.key: v for f, v in zip(child.fields, row.values)}})
            entry = {child.key.key: row.key, "fields": fields}
            if first is not None:
                entry[first] = plain(row.values[0])
            changed.append(entry)
        else:
            counts.unchanged += 1
    removed = snapshot.removed_children(child, key, kept)
    for values in removed:
        plan.delete(child.table, values[child.key.key])
    counts.created += len(added)
    counts.updated += len(changed)
    counts.deleted += len(removed)
    rows = {kind: value for kind, value in
            (("added", added), ("changed", changed), ("removed", removed)) if value}
    return rows, [values[child.key.key] for values in removed]


def plan_delete(plan, spec, key, snapshot, tally, who):
    """Delete a record of the snapshot with its child rows; None when it is gone already."""
    existing = snapshot.records.get(key)
    if existing is None:
        return None
    values, version = existing
    diff = {"fields": {f.name: [plain(v), None] for f, v in zip(spec.fields, values)
                       if v is not None}}
    removed_keys = []
    for child in spec.children:
        removed = snapshot.removed_children(child, key)
        for row in removed:
            plan.delete(child.table, row[child.key.key])
        removed_keys += [row[child.key.key] for row in removed]
        tally.children[child.name].deleted += len(removed)
        if removed:
            diff[child.name] = {"removed": removed}
    plan.delete(spec.table, key)
    tally.records.deleted += 1
    _change(plan, spec, "delete", key, values, diff, who)
    return Outcome(key, "delete", diff, version, removed_keys)


def plan_set(plan, spec, key, snapshot, name, value, who):
    """Set field `name` of an existing record to `value` (a bulk change); the Outcome, or None
    when the record is gone."""
    existing = snapshot.records.get(key)
    if existing is None:
        return None
    values, version = existing
    index = [f.name for f in spec.fields].index(name)
    old = values[index]
    if old == value:
        return Outcome(key, None, {}, version)
    new_values = values[:index] + (value,) + values[index + 1:]
    diff = {"fields": {name: [plain(old), plain(value)]}}
    plan.update(spec.table, {f"key_{spec.key.key}": key,
                             **{f.column.key: v for f, v in zip(spec.fields, new_values)}})
    _change(plan, spec, "update", key, new_values, diff, who)
    return Outcome(key, "update", diff, version)
