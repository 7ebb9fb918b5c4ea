"""What a change ships: the whole record with its child rows, read from the source, and how a
poser_web target applies it.

An Entity is declared from its model and child relationships, nothing widget-specific:

    ENTITIES["gizmo"] = Entity("gizmo", Gizmo, children=("parts",))

`load` gives {key: record or None (deleted)}; a record is a dict of column values plus, per
child relationship, a list of dicts. `apply` writes one record into a poser_web database with
Core statements (insert / update / delete, child rows by their own key, so a child moved from
one parent to another follows) and says what it changed, in the history's diff shape.
"""
from sqlalchemy import delete, insert, inspect, or_, select, update

from ..tables.widgets.models import Widget

CHUNK = 500


class Entity:
    def __init__(self, name, model, children=(), skip=(), quiet=("version",)):
        self.name, self.model = name, model
        mapper = inspect(model)
        self.table = mapper.local_table
        self.pk = self.table.primary_key.columns.values()[0]
        # Columns kept by the database itself (e.g. trigger-maintained counts) are not shipped.
        self.columns = [c for c in self.table.columns if c.name not in skip]
        self.quiet = set(quiet)   # shipped but not worth a line in the history
        self.children = []
        for rel_name in children:
            rel = mapper.relationships[rel_name]
            (_, fk), = rel.local_remote_pairs
            table = rel.mapper.local_table
            self.children.append((rel_name, table, fk, table.primary_key.columns.values()[0]))

    # -- reading the source --------------------------------------------------

    def load(self, connection, keys):
        """{key: record, or None when the record is gone}."""
        keys = list(dict.fromkeys(keys))
        records = {key: None for key in keys}
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start:start + CHUNK]
            for row in connection.execute(select(*self.columns).where(self.pk.in_(chunk))).mappings():
                record = dict(row)
                for rel_name, *_ in self.children:
                    record[rel_name] = []
                records[row[self.pk.name]] = record
            for rel_name, table, fk, pk in self.children:
                rows = connection.execute(select(table).where(fk.in_(chunk)).order_by(fk, pk))
                for row in rows.mappings():
                    parent = records.get(row[fk.name])
                    if parent is not None:
                        parent[rel_name].append(dict(row))
        return records

    def label(self, record, key):
        for name in ("description", "name", "title", "code"):
            if record and record.get(name):
                return str(record[name])
        return f"{self.name.capitalize()} {key[:8]}"

    # -- writing a poser_web target ------------------------------------------

    def apply(self, connection, key, record):
        """Make the target's copy of `key` equal `record`; (action, label, diff) or None if equal."""
        table, pk = self.table, self.pk
        current = connection.execute(select(*self.columns).where(pk == key)).mappings().first()
        if record is None:
            if current is None:
                return None
            removed = {}
            for rel_name, child, fk, child_pk in self.children:
                rows = connection.execute(select(child).where(fk == key)).mappings().all()
                removed[rel_name] = [dict(r) for r in rows]
                connection.execute(delete(child).where(fk == key))
            connection.execute(delete(table).where(pk == key))
            diff = {"fields": {n: [v, None] for n, v in current.items()
                               if n != pk.name and n not in self.quiet}}
            for rel_name, rows in removed.items():
                if rows:
                    diff[rel_name] = {"removed": rows}
            return "delete", self.label(current, key), diff

        values = {c.name: record[c.name] for c in self.columns}
        diff = {}
        if current is None:
            connection.execute(insert(table).values(values))
            action = "create"
            diff["fields"] = {n: [None, v] for n, v in values.items()
                              if n != pk.name and n not in self.quiet}
        else:
            action = "update"
            changed = {n: v for n, v in values.items() if current[n] != v}
            if changed:
                connection.execute(update(table).where(pk == key).values(changed))
            fields = {n: [current[n], v] for n, v in changed.items() if n not in self.quiet}
            if fields:
                diff["fields"] = fields
        for rel_name, child, fk, child_pk in self.children:
            rows = self._apply_children(connection, key, record[rel_name], child, fk, child_pk)
            if rows:
                diff[rel_name] = rows
        if action == "update" and not diff and current == values:
            return None
        return action, self.label(record, key), diff

    def _apply_children(self, connection, key, wanted, table, fk, pk):
        wanted = {row[pk.name]: row for row in wanted}
        there = {}
        condition = fk == key
        keys = list(wanted)
        for start in range(0, max(len(keys), 1), CHUNK):
            chunk = keys[start:start + CHUNK]
            where = or_(condition, pk.in_(chunk)) if chunk else condition
            for row in connection.execute(select(table).where(where)).mappings():
                there[row[pk.name]] = dict(row)
        rows = {"added": [], "changed": [], "removed": []}
        gone = [k for k, row in there.items() if row[fk.name] == key and k not in wanted]
        for start in range(0, len(gone), CHUNK):
            connection.execute(delete(table).where(pk.in_(gone[start:start + CHUNK])))
        rows["removed"] = [there[k] for k in gone]
        for child_key, row in wanted.items():
            old = there.get(child_key)
            if old is None:
                connection.execute(insert(table).values(row))
                rows["added"].append({n: v for n, v in row.items() if n != fk.name})
            elif old != row:
                changed = {n: v for n, v in row.items() if old.get(n) != v}
                connection.execute(update(table).where(pk == child_key).values(changed))
                entry = {"uuid": child_key,
                         "fields": {n: [old.get(n), v] for n, v in changed.items()}}
                if "item_code" in row:
                    entry["item_code"] = row["item_code"]
                rows["changed"].append(entry)
        for row in rows["removed"]:
            row.pop(fk.name, None)
        return {k: v for k, v in rows.items() if v}


# Entities consumers can ship, by the name change capture records (capture.CAPTURED).
ENTITIES = {
    "widget": Entity("widget", Widget, children=("components",), skip=("component_count",)),
}


def entity(name):
    try:
        return ENTITIES[name]
    except KeyError:
        raise LookupError(f"no datasync entity {name!r} is declared (poser_web.datasync.entities)") \
            from None
