"""Make a poser_web target's records equal to records read from the source, in bulk.

`apply_records(target, wanted, source)`: `wanted` is {entity name: {key: record, or None for
gone}}. The target's copies are read in bulk, compared, and only what differs is written:
upserts of every entity in foreign-key order (referenced tables first), then deletes in the
reverse order. Foreign keys never stop a batch whatever its boundaries: a record referring to
one the target lacks (created in the same burst, or later) gets that one read from the source
and written first; a record about to be deleted that target records still refer to gets those
brought up to date first (the source has repointed or deleted them). Child rows are matched by
their own key, so a child moved from one parent to another follows. What differed comes back
per record, in the history's diff shape.
"""
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from ..models.audit import plain
from .bulk import delete_keys, insert_rows, update_rows
from .capture import captured_entity_names
from .entities import among, chunks, entities


@dataclass
class Applied:
    """What one record's apply changed on the target."""
    entity: str
    key: str
    action: str        # create, update or delete
    label: str
    diff: dict


@dataclass
class Source:
    """The database the records come from, read again for what a target needs first."""
    connect: Callable
    entities: list     # the Entities it captures

    @classmethod
    def of(cls, engine):
        with engine.connect() as connection:
            names = captured_entity_names(connection)
        return cls(engine.connect, entities(sorted(names)))

    def owner(self, table_name):
        """The captured Entity one of whose tables is `table_name`, or None."""
        return next((e for e in self.entities if table_name in e.table_names), None)


def apply_records(target, wanted, source=None):
    """Write `wanted` into `target` (a Connection in a transaction); the records that
    differed, as Applied. Without a `source` (a Source) foreign keys are left to chance."""
    found = entities(wanted)
    applied, seen = [], set()   # seen: (entity, key) already read from the source here
    for ent in found:
        upserts = {k: r for k, r in wanted[ent.name].items() if r is not None}
        applied += _upsert_referenced(target, ent, upserts, source, seen)
    for ent in reversed(found):
        gone = [k for k, r in wanted[ent.name].items() if r is None]
        applied += _delete(target, ent, gone, source, seen)
    return applied


# -- foreign keys ---------------------------------------------------------------------------

def _upsert_referenced(target, ent, records, source, seen):
    """Upsert `records`, first writing those they refer to that the target lacks."""
    applied = []
    if records and source is not None:
        for table, column, referred in ent.references():
            other = source.owner(referred.table.name)
            if other is None:
                continue   # not a captured table: the target must have it already
            values = {row[column.name] for row in ent.rows_of(records.values(), table.name)}
            values.discard(None)
            missing = values - _matching(target, referred, referred, values)
            if missing:
                with source.connect() as connection:
                    key = other.key_column(referred.table.name)
                    keys = missing if key.name == referred.name else _matching(
                        connection, key, referred, missing)
                    keys = {k for k in keys if (other.name, k) not in seen}
                    seen |= {(other.name, k) for k in keys}
                    found = {k: r for k, r in other.load(connection, keys).items() if r is not None}
                applied += _upsert_referenced(target, other, found, source, seen)
    return applied + _upsert(target, ent, records)


def _release(target, ent, records, source, seen):
    """Before `records` (on the target) are deleted: the target's records that still refer to
    them, written as the source has them now — repointed, or gone too."""
    applied = []
    for other in source.entities:
        for table, column, referred in other.references():
            if other is ent or referred.table.name not in ent.table_names:
                continue
            values = {row[referred.name] for row in ent.rows_of(records, referred.table.name)}
            values.discard(None)
            keys = _matching(target, other.key_column(table.name), column, values) if values else ()
            keys = {k for k in keys if (other.name, k) not in seen}
            if not keys:
                continue
            seen |= {(other.name, k) for k in keys}
            with source.connect() as connection:
                now = other.load(connection, keys)
            applied += _upsert_referenced(target, other, {k: r for k, r in now.items() if r},
                                          source, seen)
            applied += _delete(target, other, [k for k, r in now.items() if r is None], source,
                               seen)
    return applied


def _matching(connection, wanted, column, values):
    """The set of `wanted` (a column) of the rows whose `column` is one of `values`."""
    values, found = list(values), set()
    for chunk in chunks(connection, values):
        found |= set(connection.scalars(select(wanted).where(among(connection, column, chunk))))
    return found


# -- writing one entity ---------------------------------------------------------------------

def _fields(ent, before, after):
    before, after = before or {}, after or {}
    return {n: [plain(before.get(n)), plain(after.get(n))] for n in ent.history_fields
            if before.get(n) != after.get(n)}


def _plain_row(row, leave_out=()):
    return {k: plain(v) for k, v in row.items() if k not in leave_out}


def _upsert(target, ent, wanted):
    """Upsert `wanted` ({key: record}) of one entity; Applied for each that differed."""
    if not wanted:
        return []
    current = ent.load(target, list(wanted))
    creates = [k for k in wanted if current[k] is None]
    updates = [k for k in wanted if current[k] is not None and current[k] != wanted[k]]
    if not creates and not updates:
        return []
    insert_rows(target, ent.table, [ent.row(wanted[k]) for k in creates])
    changes = []
    for key in updates:
        row, old = ent.row(wanted[key]), current[key]
        changed = [n for n, v in row.items() if old[n] != v]
        if changed:
            changes.append((row, changed))
    update_rows(target, ent.table, ent.pk.name, changes)
    diffs = {k: {} for k in creates + updates}
    for key in creates:
        diffs[key]["fields"] = _fields(ent, None, wanted[key])
    for key in updates:
        fields = _fields(ent, current[key], wanted[key])
        if fields:
            diffs[key]["fields"] = fields
    for child in ent.children:
        for key, rows in _children(target, ent, child, wanted, current, creates + updates).items():
            diffs[key][child.name] = rows
    # A record that differed in shipped-but-quiet columns only (its version) is written but
    # is no history line: the target's history has no "Saved without changes".
    return [Applied(ent.name, k, "create", ent.label(wanted[k], k), diffs[k]) for k in creates] \
        + [Applied(ent.name, k, "update", ent.label(wanted[k], k), diffs[k]) for k in updates
           if diffs[k]]


def _children(target, ent, child, wanted, current, keys):
    """Make the child rows of these parents the wanted ones; {parent key: added / changed /
    removed rows} for those whose rows differed."""
    pk, fk = child.key.name, child.parent_key.name
    want = {row[pk]: row for key in keys for row in wanted[key][child.name]}
    there = {row[pk]: row for key in keys if current[key] for row in current[key][child.name]}
    elsewhere = [k for k in want if k not in there]   # on the target under another parent?
    for chunk in chunks(target, elsewhere):
        for row in target.execute(select(*child.columns).where(
                among(target, child.key, chunk))).mappings():
            there[row[pk]] = dict(row)
    parents = set(keys)
    gone = [k for k, row in there.items() if k not in want and row[fk] in parents]
    delete_keys(target, child.table, child.key, gone)
    insert_rows(target, child.table, [row for k, row in want.items() if k not in there])
    changes = []
    for k, row in want.items():
        if k in there and there[k] != row:
            changes.append((row, [n for n, v in row.items() if there[k].get(n) != v]))
    update_rows(target, child.table, pk, changes)
    diffs = {}

    def rows(parent, kind):
        return diffs.setdefault(parent, {}).setdefault(kind, [])

    for k in gone:
        rows(there[k][fk], "removed").append(_plain_row(there[k], (fk,)))
    for k, row in want.items():
        if k not in there:
            rows(row[fk], "added").append(_plain_row(row, (fk,)))
        elif there[k] != row:
            old = there[k]
            rows(row[fk], "changed").append({
                pk: k, child.first: plain(row.get(child.first)),
                "fields": {n: [plain(old.get(n)), plain(v)] for n, v in row.items()
                           if old.get(n) != v}})
    return diffs


def _delete(target, ent, keys, source, seen):
    """Delete these records (and their child rows) where the target has them."""
    if not keys:
        return []
    current = {k: r for k, r in ent.load(target, keys).items() if r is not None}
    if not current:
        return []
    applied = _release(target, ent, list(current.values()), source, seen) if source else []
    for child in ent.children:
        delete_keys(target, child.table, child.parent_key, list(current))
    delete_keys(target, ent.table, ent.pk, list(current))
    for key, record in current.items():
        diff = {"fields": _fields(ent, record, None)}
        for child in ent.children:
            if record[child.name]:
                diff[child.name] = {"removed": [_plain_row(r, (child.parent_key.name,))
                                                for r in record[child.name]]}
        applied.append(Applied(ent.name, key, "delete", ent.label(record, key), diff))
    return applied
