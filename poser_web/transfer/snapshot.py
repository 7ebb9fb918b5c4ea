"""The database rows a chunk of records touches, read with a few Core selects."""
from sqlalchemy import select

from ..models.audit import plain
from .lookups import in_chunks, keys_in


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
