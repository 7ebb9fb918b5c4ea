"""The tables an app serves, each described once from its model and its master view.

A `TableSpec` is what the whole checklist works from — the import/export file layout, the import
and bulk-change batches, permissions, the command line: the table's name (its list URL,
`widgets`), the fields a file carries (every column but the key, the version and
`__audit_exclude__`, with type, limits and choices read off the mapper), its child rows (the
view's `inlines`, e.g. a widget's components), the export order and the bulk actions.
`MasterView.include` registers one per table in the app's registry; nothing here knows a table.
"""
import enum
import re
from dataclasses import dataclass, field

from sqlalchemy import inspect, types

from ..display.labels import label_column, title_of
from ..display.values import kind_of
from .meta import TABLE_PREFIX

REGISTRY_KEY = "poser.tables"

INTEGER_RANGES = (  # most specific first (the forms' limits: forms/derive.py)
    (types.SmallInteger, -2 ** 15, 2 ** 15 - 1),
    (types.BigInteger, -2 ** 63, 2 ** 63 - 1),
    (types.Integer, -2 ** 31, 2 ** 31 - 1),
)


@dataclass(frozen=True)
class FieldSpec:
    """One column as a file carries it: `name` is the column's key and the file's header."""
    name: str
    column: object  # the Core Column
    kind: str  # kind_of(): string, text, integer, numeric, boolean, date, datetime, choice
    title: str
    nullable: bool
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    choices: tuple = ()  # the stored values a choice column accepts
    enum_class: object = None  # an Enum column's class (stored by member name)
    minimum: object = None
    maximum: object = None
    target: object = None  # a foreign key's referenced Core Table

    @property
    def reference(self):
        """A foreign key's referenced table's name, for messages ("widget")."""
        return self.target.name.removeprefix(TABLE_PREFIX) if self.target is not None else None


@dataclass(frozen=True)
class ChildSpec:
    """Child rows edited with their parent (a relationship named in the view's `inlines`)."""
    name: str  # the relationship: "components"
    row_type: str  # the word a file's type column holds: "component"
    model: type
    table: object
    key: object  # its primary key Column
    parent_key: object  # its Column naming the parent
    fields: tuple
    order: tuple  # Columns the rows are listed by (the relationship's order_by, then the key)
    title: str


@dataclass
class TableSpec:
    name: str  # the list URL's name and the permissions' prefix: "widgets"
    entity: str  # the history's entity and the batch types' stem: "widget"
    title: str
    title_plural: str
    model: type
    table: object
    key: object
    fields: tuple
    children: tuple = ()
    order: tuple = ()  # parent Columns of the export order, the key last
    versioned: bool = False
    label: object = None  # the Column a record's label falls back to, or None
    bulk_actions: tuple = ()
    view: object = None  # the master view class (pages only; the framework below views ignores it)
    editable: bool = True  # False: a read-only table (listed, exported, never imported)
    extra: dict = field(default_factory=dict)

    def permission(self, action):
        return f"{self.name}.{action}"

    def child(self, row_type):
        for child in self.children:
            if child.row_type == row_type:
                return child
        return None

    def label_of(self, values, key):
        """A record's label from its field values (a dict), as history and batches show it."""
        if self.label is not None and values.get(self.label.key) not in (None, ""):
            return str(values[self.label.key])
        return f"{self.title} {str(key or '')[:8]}".strip()


def singular(word):
    """components -> component, entries -> entry, boxes -> box (a row type from a relationship)."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if re.search(r"(s|x|z|ch|sh)es$", word):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def entity_of(model):
    """The table's name without the project prefix: poser_widget -> widget."""
    return model.__tablename__.removeprefix(TABLE_PREFIX)


def field_spec(model, name):
    attr = inspect(model).column_attrs[name]
    column = attr.columns[0]
    sql_type = column.type
    kind = kind_of(sql_type)
    if kind is None:
        raise TypeError(f"{model.__name__}.{name}: a {sql_type!r} column cannot be imported "
                        "or exported; leave it out (__audit_exclude__)")
    choices, enum_class = (), None
    declared = column.info.get("choices")
    if declared:
        kind = "choice"
        choices = tuple(c[0] if isinstance(c, (tuple, list)) else c for c in declared)
    elif isinstance(sql_type, types.Enum):
        enum_class = sql_type.enum_class if isinstance(sql_type.enum_class, type) and \
            issubclass(sql_type.enum_class, enum.Enum) else None
        choices = tuple(m.name for m in enum_class) if enum_class else tuple(sql_type.enums)
    minimum, maximum = column.info.get("min"), column.info.get("max")
    if kind == "integer":
        low, high = next((lo, hi) for cls, lo, hi in INTEGER_RANGES if isinstance(sql_type, cls))
        minimum = low if minimum is None else max(minimum, low)
        maximum = high if maximum is None else min(maximum, high)
    target = None
    for key in column.foreign_keys:
        target = key.column.table
    title = column.info.get("title") or re.sub(r"_+", " ", name).strip().title()
    return FieldSpec(
        name=name, column=column, kind=kind, title=title, nullable=bool(column.nullable),
        length=getattr(sql_type, "length", None) if kind in ("string", "text", "choice") else None,
        precision=getattr(sql_type, "precision", None) if kind == "numeric" else None,
        scale=getattr(sql_type, "scale", None) if kind == "numeric" else None,
        choices=choices, enum_class=enum_class, minimum=minimum, maximum=maximum, target=target)


def data_fields(model, skip=()):
    """The columns a file carries: all but the key, the version, `__audit_exclude__` and `skip`."""
    mapper = inspect(model)
    left_out = {c.key for c in mapper.primary_key} | set(skip)
    left_out |= set(getattr(model, "__audit_exclude__", ()))
    if mapper.version_id_col is not None:
        left_out.add(mapper.get_property_by_column(mapper.version_id_col).key)
    return tuple(field_spec(model, attr.key) for attr in mapper.column_attrs
                 if attr.key not in left_out)


def child_spec(model, name):
    relationship = inspect(model).relationships[name]
    child = relationship.mapper.class_
    [parent_key] = relationship.remote_side
    child_mapper = inspect(child)
    parent_key_name = child_mapper.get_property_by_column(parent_key).key
    key = child_mapper.primary_key[0]
    order = tuple(_columns(relationship.order_by)) + (key,)
    return ChildSpec(name=name, row_type=singular(name), model=child, table=child_mapper.local_table,
                     key=key, parent_key=parent_key,
                     fields=data_fields(child, skip=(parent_key_name,)), order=order,
                     title=title_of(child))


def _columns(order_by):
    if not order_by:
        return []
    found = []
    for clause in order_by:
        element = getattr(clause, "element", clause)
        if hasattr(element, "table"):
            found.append(element)
    return found


def describe(model, name, title, title_plural, children=(), sort=None, bulk_actions=None,
             view=None, editable=True):
    """The TableSpec of `model` as the master view `view` declares it."""
    mapper = inspect(model)
    [key] = mapper.primary_key
    order = []
    if sort is not None and sort in mapper.column_attrs:
        order.append(mapper.column_attrs[sort].columns[0])
    order.append(key)
    label = label_column(model)
    return TableSpec(
        name=name, entity=entity_of(model), title=title, title_plural=title_plural, model=model,
        table=mapper.local_table, key=key, fields=data_fields(model),
        children=tuple(child_spec(model, child) for child in children), order=tuple(order),
        versioned=mapper.version_id_col is not None,
        label=label.property.columns[0] if label is not None else None,
        bulk_actions=bulk_actions, view=view, editable=editable)


def register(registry, spec):
    registry.setdefault(REGISTRY_KEY, {})[spec.name] = spec


def tables(registry):
    """{name: TableSpec} of every table the app serves, in the order they were included."""
    return registry.get(REGISTRY_KEY, {})


def table(registry, name):
    """The TableSpec called `name` (its list URL's name); LookupError naming the known ones."""
    found = tables(registry)
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise LookupError(f"no table {name!r} (tables: {known})")
    return found[name]
