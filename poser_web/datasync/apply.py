"""Make a poser_web target's records equal to records read from the source, in bulk.

`apply_records(target, wanted, source)`: `wanted` is {entity name: {key: record, or None for
gone}}. The target's copies are read in bulk, compared, and only what differs is written:
upserts of every entity in foreign-key order (referenced tables first), then deletes in the
reverse order. A record whose foreign key names a record the target lacks — created in the
same burst, or later — gets that record read from `source` and written first, so the target
never refuses it. Child rows are matched by their own key, so a child moved from one parent
to another follows. What differed comes back per record, in the history's diff shape.
"""
from dataclasses import dataclass

from sqlalchemy import select

from ..models.audit import plain
from .bulk import delete_keys, insert_rows, update_rows
from .entities import CHUNK, entities, owner_of


@dataclass
class Applied:
    """What one record's apply changed on the target."""
    entity: str
    key: str
    action: str        # create, update or delete
    label: str
    diff: dict


def apply_records(target, wanted, source=None):
    """Write `wanted` into `target` (a Connection in a transaction); the records that
    differed, as Applied. `source`: a callable giving a Connection to read referenced
    records the target lacks from (None: they are not looked for)."""
    found = entities(wanted)
    applied = []
    shipped = set()
    for ent in found:
        upserts = {k: r for k, r in wanted[ent.name].items() if r is not None}
        if upserts and source is not None:
            applied += _ship_references(target, ent, list(upserts.values()), source, shipped)
        applied += _upsert(target, ent, upserts)
    for ent in reversed(found):
        gone = [k for k, r in wanted[ent.name].items() if r is None]
        applied += _delete(target, ent, gone)
    return applied


# -- foreign keys ---------------------------------------------------------------------------

def _rows_of(ent, records, table):
    """The rows of `table` in these records: their own rows, or one child's rows."""
    if table is ent.table:
        return records
    child = next(c for c in ent.children if c.table is table)
    return [row for record in records for row in record[child.name]]


def _ship_references(target, ent, records, source, shipped):
    """Write first the records that `records` refer to and the target lacks, read from the
    source (and, before them, those they refer to)."""
    applied = []
    for table, column, referred in ent.references():
        other = owner_of(referred.table.name)
        if other is None:
            continue   # not a captured table: the target must have it already
        values = {row[column.name] for row in _rows_of(ent, records, table)} - {None}
        missing = values - _matching(target, referred, referred, values) - shipped
        if not missing:
            continue
        shipped |= missing
        with source() as connection:
            key = other.key_column(referred.table.name)
            keys = missing if referred.name == key.name == other.pk.name else _matching(
                connection, key, referred, missing)
            found = {k: r for k, r in other.load(connection, keys).items() if r is not None}
        applied += _ship_references(target, other, list(found.values()), source, shipped)
        applied += _upsert(target, other, found)
    return applied


def _matching(connection, wanted, column, values):
    """The set of `wanted` (a column) of the rows whose `column` is one of `values`."""
    values, found = list(values), set()
    for start in range(0, len(values), CHUNK):
        found |= set(connection.scalars(select(wanted).where(column.in_(values[start:start + CHUNK]))))
    return found


# -- writing one entity ---------------------------------------------------------------------

def _fields(ent, before, after):
    names = [c.name for c in ent.columns if c.name != ent.pk.name and c.name not in ent.quiet]
    return {n: [plain(before.get(n) if before else None), plain(after.get(n) if after else None)]
            for n in names if (before or {}).get(n) != (after or {}).get(n)}


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
    return [Applied(ent.name, k, "create" if k in creates else "update",
                    ent.label(wanted[k], k), diffs[k]) for k in creates + updates
            if k in creates or diffs[k]]


def _children(target, ent, child, wanted, current, keys):
    """Make the child rows of these parents the wanted ones; {parent key: added / changed /
    removed rows} for those whose rows differed."""
    pk, fk = child.key.name, child.parent_key.name
    want = {row[pk]: row for key in keys for row in wanted[key][child.name]}
    there = {row[pk]: row for key in keys if current[key] for row in current[key][child.name]}
    elsewhere = [k for k in want if k not in there]   # on the target under another parent?
    for start in range(0, len(elsewhere), CHUNK):
        for row in target.execute(select(*child.columns).where(
                child.key.in_(elsewhere[start:start + CHUNK]))).mappings():
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


def _delete(target, ent, keys):
    """Delete these records (and their child rows) where the target has them."""
    if not keys:
        return []
    current = {k: r for k, r in ent.load(target, keys).items() if r is not None}
    if not current:
        return []
    for child in ent.children:
        delete_keys(target, child.table, child.parent_key, list(current))
    delete_keys(target, ent.table, ent.pk, list(current))
    applied = []
    for key, record in current.items():
        diff = {"fields": _fields(ent, record, None)}
        for child in ent.children:
            if record[child.name]:
                diff[child.name] = {"removed": [_plain_row(r, (child.parent_key.name,))
                                                for r in record[child.name]]}
        applied.append(Applied(ent.name, key, "delete", ent.label(record, key), diff))
    return applied
