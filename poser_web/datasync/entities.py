"""What a change ships: the whole record with its child rows, derived from its declaration.

`entity(name)` is the Entity of a declared model (declaration.py), by the name its capture
records; `load` reads records in bulk as {key: record, or None when it is gone}. A record is a
dict of its shipped column values plus, per child relationship, the list of its child rows
(dicts, in key order). Writing them into a poser_web database is apply.py's job.
"""
from sqlalchemy import ARRAY, any_, bindparam, event, select

from ..display.labels import LABEL_COLUMNS, title_of
from .declaration import declarations

CHUNK = 500            # keys per IN (...) (SQLite: each key is a bound value)
ARRAY_CHUNK = 10_000   # keys per = ANY(:array) (PostgreSQL: one bound value, any length)


class Child:
    """One child relationship: its rows ship inside the parent's record."""

    def __init__(self, name, table, parent_key, key, ignore):
        self.name, self.table, self.parent_key, self.key = name, table, parent_key, key
        self.columns = [c for c in table.columns if c.name not in ignore]
        # The field that names a changed row in the history (its first column).
        self.first = next((c.name for c in self.columns
                           if c.name not in (key.name, parent_key.name)), key.name)


class Entity:
    def __init__(self, declaration):
        self.name, self.model = declaration.entity, declaration.model
        self.table = declaration.table
        own, *children = declaration.captured
        self.pk = self.table.c[own.pk]
        self.columns = [c for c in self.table.columns if c.name not in own.ignore]
        version = self.model.__mapper__.version_id_col
        # Shipped, but not a line of the history.
        self.quiet = {version.name} if version is not None else set()
        # The columns a history entry's diff lists.
        self.history_fields = [c.name for c in self.columns
                               if c.name != self.pk.name and c.name not in self.quiet]
        ignored = {c.table: c.ignore for c in children}
        self.children = [Child(name, table, parent_key, key, ignored.get(table.name, ()))
                         for name, table, parent_key, key in declaration.children()]
        self.tables = [self.table] + [child.table for child in self.children]

    def __repr__(self):
        return f"<Entity {self.name}>"

    def references(self):
        """(table, column, referred column) of every foreign key of its tables that points
        outside them."""
        own = {table.name for table in self.tables}
        return [(table, fk.parent, fk.column) for table in self.tables
                for fk in table.foreign_keys if fk.column.table.name not in own]

    @property
    def table_names(self):
        return {table.name for table in self.tables}

    def rows_of(self, records, table_name):
        """The rows of one of its tables in these records: their own, or one child's."""
        if table_name == self.table.name:
            return list(records)
        child = next(c for c in self.children if c.table.name == table_name)
        return [row for record in records for row in record[child.name]]

    def key_column(self, table_name):
        """The column of one of its tables (its own or a child's) holding its key."""
        if table_name == self.table.name:
            return self.pk
        return next(child.parent_key for child in self.children if child.table.name == table_name)

    # -- reading -------------------------------------------------------------------------

    def load(self, connection, keys):
        """{key: record, or None when the record is gone}, a chunk of keys per statement."""
        keys = list(dict.fromkeys(keys))
        records = dict.fromkeys(keys)
        key = self.pk.name
        for chunk in chunks(connection, keys):
            query = select(*self.columns).where(among(connection, self.pk, chunk))
            for record in _dicts(connection, query):
                for child in self.children:
                    record[child.name] = []
                records[record[key]] = record
            for child in self.children:
                parent_key = child.parent_key.name
                for row in _dicts(connection, select(*child.columns)
                                  .where(among(connection, child.parent_key, chunk))
                                  .order_by(child.parent_key, child.key)):
                    parent = records.get(row[parent_key])
                    if parent is not None:
                        parent[child.name].append(row)
        return records

    def row(self, record):
        """The record's own row (its child rows left out)."""
        return {c.name: record[c.name] for c in self.columns}

    def label(self, record, key):
        for name in LABEL_COLUMNS:
            if record and record.get(name) not in (None, ""):
                return str(record[name])
        return f"{title_of(self.model)} {str(key)[:8]}"


def chunks(connection, values):
    """`values` (a list) in slices of as many as one `among` takes."""
    size = ARRAY_CHUNK if connection.dialect.name == "postgresql" else CHUNK
    for start in range(0, len(values), size):
        yield values[start:start + size]


def among(connection, column, values):
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`, one parameter: no statement
    of hundreds of placeholders to render and parse for every chunk."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def plan_for_parameters(engine):
    """PostgreSQL: the engine's connections plan each statement for the values it is given
    (`plan_cache_mode = force_custom_plan`, a connection option: no round trip).

    psycopg prepares a statement run five times, and the server then keeps one generic plan
    for it if that looks no dearer than the plans it made for the values. A daemon that starts
    on a new, empty node (no statistics either: autovacuum may be off) gets for `key =
    ANY(:keys)` a sequential scan costed on the empty table, and keeps it while the table
    fills: every later read compares each of the table's rows with each key of the chunk (a
    tenth of a second per read at ten thousand rows, most of the drain). Planned for the
    values, the same read is an index scan whatever the statistics say; planning costs a
    fraction of a millisecond, and the daemon sends a few dozen statements a batch."""
    if engine.dialect.name != "postgresql":
        return engine

    @event.listens_for(engine, "do_connect")
    def custom_plans(dialect, connection_record, cargs, cparams):
        cparams["options"] = f"{cparams.get('options') or ''} -c plan_cache_mode=force_custom_plan".strip()

    return engine


def _dicts(connection, statement):
    """The statement's rows as dicts, fetched all at once (the driver's fetchall)."""
    result = connection.execute(statement)
    names = list(result.keys())
    return [dict(zip(names, row)) for row in result.fetchall()]


_entities = {}


def entity(name):
    """The Entity whose changes are recorded as `name`."""
    if name not in _entities:
        _entities.update((n, Entity(d)) for n, d in declarations().items() if n not in _entities)
    try:
        return _entities[name]
    except KeyError:
        raise LookupError(f"no model declares the datasync entity {name!r} (__datasync__ = True): "
                          "is its package installed and loaded here?") from None


def entities(names):
    """The Entities of these names, referenced ones first (see fk_order)."""
    return fk_order([entity(name) for name in dict.fromkeys(names)])


def fk_order(found):
    """Entities in an order where one whose tables another's foreign keys point to comes
    first (ties by name; a cycle is broken at the first name)."""
    owner = {table.name: e for e in found for table in e.tables}
    needs = {e.name: {owner[column.table.name].name for _, _, column in e.references()
                      if column.table.name in owner} - {e.name} for e in found}
    by_name = {e.name: e for e in found}
    ordered, placed = [], set()
    while len(ordered) < len(found):
        ready = sorted(n for n in by_name if n not in placed and needs[n] <= placed) \
            or [min(n for n in by_name if n not in placed)]
        for name in ready:
            ordered.append(by_name[name])
            placed.add(name)
    return ordered
