"""The one set of rules `poser import`, import batches and bulk changes share, for any table.

A file is read record by record (`layout.FileLayout.records`) and handled in chunks of `CHUNK`
records, so memory stays flat whatever the file's size:

- `Ledger`: the keys met so far, in a temporary table of the connection (a key used twice in
  the file, the child rows an earlier chunk removed, the records "delete missing" keeps);
- `Snapshot`: the database rows one chunk touches, read with a few selects;
- `plan_record` / `plan_delete`: compare one record of the file (or one to delete) with the
  snapshot: the rows to write into a `Plan` and the difference the history records (the shape
  `models/audit.py` records for the web forms);
- `writer.write_plan` writes a chunk's plan with bulk statements.
"""
from dataclasses import dataclass, field

import json

from sqlalchemy import (Column, Integer, MetaData, String, Table, any_, bindparam, func,
                        literal_column, select, text)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeDecorator

from ..display.labels import model_title
from ..models import make_change, new_uuid
from ..models.audit import plain
from ..models.rules import find_row_conflicts, unique_keys
from . import layout
from .writer import bulk_insert

CHUNK = 1000  # records compared and written together
IN_CHUNK = 5000  # keys per look-up (one parameter: `keys_in`)
LEDGER = "poser_import_keys"
LEDGER_TABLE = Table(LEDGER, MetaData(), Column("uuid", String(32)), Column("line", Integer),
                     Column("kind", String(1)), Column("parent", String(32)))


@dataclass
class Counts:
    """How many records a run created, updated, deleted and left alone (import, catch-up)."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def total(self):
        return self.created + self.updated + self.deleted + self.unchanged


class Tally:
    """Counts per table: the records' and each child relationship's."""

    def __init__(self, spec):
        self.records = Counts()
        self.children = {child.name: Counts() for child in spec.children}


@dataclass
class Plan:
    inserts: dict = field(default_factory=dict)  # Core table -> [row dict]
    updates: dict = field(default_factory=dict)  # Core table -> [row dict, key as "key_<pk>"]
    deletes: dict = field(default_factory=dict)  # Core table -> [key]
    changes: list = field(default_factory=list)  # Change rows

    def insert(self, table, row):
        self.inserts.setdefault(table, []).append(row)

    def update(self, table, row):
        self.updates.setdefault(table, []).append(row)

    def delete(self, table, key):
        self.deletes.setdefault(table, []).append(key)

    def size(self):
        return sum(len(rows) for part in (self.inserts, self.updates, self.deletes)
                   for rows in part.values()) + len(self.changes)


class KeyList(TypeDecorator):
    """A list of keys bound as one parameter: an array on PostgreSQL, JSON text elsewhere."""
    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value, dialect):
        return list(value) if dialect.name == "postgresql" else json.dumps(list(value))


def keys_in(connection, column):
    """`column IN (:keys)` with the keys as ONE parameter (`= ANY(array)` on PostgreSQL,
    `json_each` elsewhere). An expanding IN of hundreds of keys is rendered again for every
    chunk, and psycopg parses the long statement each time: a fifth of a PostgreSQL import's
    client time."""
    keys = bindparam("keys", type_=KeyList())
    if connection.dialect.name == "postgresql":
        return column == any_(keys)
    return column.in_(select(literal_column("value")).select_from(func.json_each(keys)))


def in_chunks(keys, size=IN_CHUNK):
    keys = list(keys)
    for start in range(0, len(keys), size):
        yield keys[start:start + size]


def stored(spec, value):
    """A value as read through SQLAlchemy, in the form the file's parser gives (enum names)."""
    if spec.enum_class is not None and isinstance(value, spec.enum_class):
        return value.name
    return value


class Snapshot:
    """The database rows a chunk of records touches (Core selects, no ORM).

    records: key -> (values, version); children[name]: key -> (parent key, values);
    by_parent[name]: parent key -> [child keys]; owners[name]: child key -> parent key for the
    file's child keys, wherever they belong.
    """

    def __init__(self, connection, spec, keys, child_keys=None):
        self.spec = spec
        self.records, self.children, self.by_parent, self.owners = {}, {}, {}, {}
        keys = [k for k in dict.fromkeys(keys) if k is not None]
        fields = spec.fields
        version = spec.table.c.version if spec.versioned else None
        columns = [spec.key, *(f.column for f in fields)] + ([version] if version is not None else [])
        query = select(*columns).where(keys_in(connection, spec.key))
        for chunk in in_chunks(keys):
            for row in connection.execute(query, {"keys": chunk}):
                values = tuple(stored(f, v) for f, v in zip(fields, row[1:1 + len(fields)]))
                self.records[row[0]] = (values, row[-1] if version is not None else None)
        for child in spec.children:
            self._children(connection, child, keys, (child_keys or {}).get(child.name, ()))

    def _children(self, connection, child, keys, file_keys):
        rows, by_parent, owners = {}, {}, {}
        fields = child.fields
        columns = [child.key, child.parent_key, *(f.column for f in fields)]
        query = (select(*columns).where(keys_in(connection, child.parent_key))
                 .order_by(*child.order))
        for chunk in in_chunks(keys):
            for row in connection.execute(query, {"keys": chunk}):
                rows[row[0]] = (row[1], tuple(stored(f, v) for f, v in zip(fields, row[2:])))
                by_parent.setdefault(row[1], []).append(row[0])
        others = [key for key in file_keys if key is not None and key not in rows]
        query = select(child.key, child.parent_key).where(keys_in(connection, child.key))
        for chunk in in_chunks(others):
            owners.update(connection.execute(query, {"keys": chunk}).all())
        for key, (parent, _) in rows.items():
            owners[key] = parent
        self.children[child.name], self.by_parent[child.name] = rows, by_parent
        self.owners[child.name] = owners

    @classmethod
    def of(cls, connection, spec, records):
        """The snapshot for the file's records (`layout.Record`)."""
        child_keys = {child.name: [row.key for record in records
                                   for row in record.children.get(child.name, ())]
                      for child in spec.children}
        return cls(connection, spec, [r.key for r in records], child_keys)

    def child_values(self, child, key):
        _, values = self.children[child.name][key]
        return row_values(child, key, values)

    def removed_children(self, child, parent, kept=()):
        """The child rows of `parent` not in `kept`, in the child's order."""
        return [self.child_values(child, key) for key in self.by_parent[child.name].get(parent, ())
                if key not in kept]


def row_values(child, key, values):
    """A child row as the history records it (models/audit.py row_values)."""
    return {child.key.key: key, **{f.name: plain(v) for f, v in zip(child.fields, values)}}


class Ledger:
    """Keys met so far in a file, kept in a temporary table of `connection` (not in memory).

    kind: p (a record of the file), c (a child row of the file), n (a record created with a
    fresh key), r (a child row removed from its record, with that record: it cannot move to
    another record later in the file).
    """

    def __init__(self, connection):
        self.connection = connection
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {LEDGER}")
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {LEDGER} (uuid VARCHAR(32) NOT NULL, line INTEGER NOT NULL, "
            "kind CHAR(1) NOT NULL, parent VARCHAR(32))")
        connection.exec_driver_sql(f"CREATE INDEX {LEDGER}_uuid ON {LEDGER} (uuid)")

    def drop(self):
        self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {LEDGER}")

    def add(self, rows):
        """rows: dicts of uuid, line, kind, parent."""
        bulk_insert(self.connection, LEDGER_TABLE, rows)

    def keep(self, keys):
        """Keys the file names in rows that cannot be imported: never deleted as "left out"."""
        self.add([{"uuid": key, "line": 0, "kind": "p", "parent": None} for key in keys])

    def check(self, spec, records, owners):
        """{line: reason} for the keys of `records` met before, and child rows that belong to
        another record; records the good records' keys. `owners`: the snapshot's."""
        problems, first = {}, {}
        for record in records:
            for row in (record, *record.child_rows()):
                if row.key is None:
                    continue
                if row.key in first:
                    problems.setdefault(row.line, _twice(spec, row.key, first[row.key]))
                else:
                    first[row.key] = row.line
        earlier, removed_from = {}, {}
        query = select(LEDGER_TABLE).where(keys_in(self.connection, LEDGER_TABLE.c.uuid))
        for chunk in in_chunks(first):
            for key, line, kind, parent in self.connection.execute(query, {"keys": chunk}):
                if kind == "r":
                    removed_from[key] = parent
                elif kind != "n" and line:
                    earlier[key] = min(line, earlier.get(key, line))
        for record in records:
            for row in (record, *record.child_rows()):
                if row.key in earlier:
                    problems.setdefault(row.line, _twice(spec, row.key, earlier[row.key]))
            for child in spec.children:
                for row in record.children.get(child.name, ()):
                    owner = removed_from.get(row.key, owners[child.name].get(row.key))
                    reason = owner_problem(spec, child, row, record, owner)
                    if reason:
                        problems.setdefault(row.line, reason)
        rows = []
        for record in records:
            if record.key is not None and first.get(record.key) == record.line:
                rows.append({"uuid": record.key, "line": record.line, "kind": "p", "parent": None})
            for row in record.child_rows():
                if row.key is not None and first.get(row.key) == row.line:
                    rows.append({"uuid": row.key, "line": row.line, "kind": "c", "parent": None})
        self.add(rows)
        return problems


def owner_problem(spec, child, row, record, owner):
    """Why child `row` cannot go under `record` (it belongs to another record), or None."""
    if row.key is not None and owner is not None and owner != record.key:
        return (f"{child.row_type} {row.key} belongs to another {spec.entity} ({owner}) in the "
                f"database, not to the {spec.entity} on line {record.line}")
    return None


def _twice(spec, key, first_line):
    return f"{spec.key.key} {key} appears twice in the file (first on line {first_line})"


def missing_references(connection, spec, records):
    """{line: reason} for foreign keys of `records` naming no record (checked per chunk)."""
    problems = {}
    checks = [(None, f) for f in spec.fields if f.target is not None]
    checks += [(child, f) for child in spec.children for f in child.fields if f.target is not None]
    for child, spec_field in checks:
        wanted = {}
        for record in records:
            rows = [record] if child is None else record.children.get(child.name, ())
            index = (spec.fields if child is None else child.fields).index(spec_field)
            for row in rows:
                value = row.values[index]
                if value is not None:
                    wanted.setdefault(value, row.line)
        target = spec_field.target
        [target_key] = target.primary_key.columns
        found = set()
        query = select(target_key).where(keys_in(connection, target_key))
        for chunk in in_chunks(wanted):
            found.update(connection.scalars(query, {"keys": chunk}))
        if target is spec.table:  # a record may name one created earlier in the file
            found.update(r.key for r in records if r.key is not None)
        for value, line in wanted.items():
            if value not in found:
                problems.setdefault(line, f"{spec_field.name}: no {spec_field.reference} has the "
                                          f"key {value}")
    return problems


def taken_keys(connection, spec, records):
    """{line: reason} for records (and child rows) whose unique key values another record holds,
    or an earlier row of the chunk; the model's declared unique keys (models/rules.py), one
    query per key."""
    problems = {}
    kinds = [(spec.model, spec.key, spec.fields, [(r, r) for r in records])]
    kinds += [(child.model, child.key, child.fields,
               [(row, record) for record in records for row in record.children.get(child.name, ())])
              for child in spec.children]
    for model, key, fields, rows in kinds:
        if not rows or not unique_keys(model):
            continue
        values = [{key.key: row.key, **{f.column.key: v for f, v in zip(fields, row.values)}}
                  for row, _ in rows]
        for index, conflicts in find_row_conflicts(connection, model, values).items():
            conflict = conflicts[0]
            shown = ", ".join(str(v) for v in conflict.values)
            names = " and ".join(conflict.key.keys)
            if conflict.row is not None:
                reason = (f"{names} {shown} is on line {rows[conflict.row][0].line} too: it "
                          "must be unique")
            else:
                reason = (f"{names} {shown} is taken: another {model_title(model).lower()} "
                          f"({conflict.existing}) has it")
            problems.setdefault(rows[index][0].line, reason)
    return problems


def chunk_problems(connection, spec, records, ledger, snapshot):
    """{line: reason} of everything only the database tells about a chunk of records: keys met
    before, child rows of other records, foreign keys naming nothing, unique keys taken."""
    problems = ledger.check(spec, records, snapshot.owners)
    for found in (missing_references(connection, spec, records),
                  taken_keys(connection, spec, records)):
        for line, reason in found.items():
            problems.setdefault(line, reason)
    return problems


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


def missing_records(connection, spec, size=CHUNK):
    """Chunks of the keys of records the file (the ledger) does not name, in key order."""
    last = ""
    key = spec.key
    while True:
        keys = connection.scalars(
            select(key).where(key > last, text(
                f"{spec.table.name}.{key.name} NOT IN "
                f"(SELECT uuid FROM {LEDGER} WHERE kind IN ('p', 'n'))"))
            .order_by(key).limit(size)).all()
        if not keys:
            return
        yield keys
        last = keys[-1]


def chunks_of(groups, size=CHUNK):
    """(chunk, error) pairs: the records read, and the `LayoutError` that stopped reading (the
    last pair) or None. The chunk before an error still comes, so the caller can report an
    earlier problem that only the database shows (a key used twice, a child row's owner)."""
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
