"""Which tables datasync captures, derived from the models: `__datasync__ = True` is all a
table declares.

    class Gizmo(Versioned, Audited, Base):
        __tablename__ = "poser_gizmo"
        __datasync__ = True
        __audit_children__ = ("parts",)       # shipped inside the gizmo; a part's change is its
        __audit_exclude__ = ("part_count",)   # kept by the database: neither shipped nor a change

Derived from the mapper: the entity (`Gizmo.audit_entity()`: the table name without `poser_`),
its key (the single primary key column), each child table with the column naming the parent
(from the relationship) and the columns not shipped. Every mapped class of every declarative
base counts — the app's tables, a package's from `poser.includes`, tests' own — so there is
no list to edit.
"""
from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.orm import DeclarativeBase, DeclarativeBaseNoMeta

from ..models.meta import TABLE_PREFIX
from .capture import Captured


@dataclass(frozen=True)
class Declaration:
    """A table that opted in: its model and what its capture is made of."""
    model: type
    entity: str
    captured: tuple   # Captured: the table first, then its child tables

    @property
    def table(self):
        return self.model.__table__

    def children(self):
        """(relationship name, child table, column naming the parent, child key column)."""
        mapper = inspect(self.model)
        result = []
        for name in getattr(self.model, "__audit_children__", ()):
            relationship = mapper.relationships[name]
            child = relationship.mapper.local_table
            result.append((name, child, child.c[_parent_key(self.model, relationship)],
                           _single_key(child)))
        return result


def _single_key(table):
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise TypeError(f"datasync: {table.name} needs a primary key of one column "
                        f"(it has {len(columns)})")
    return columns[0]


def _parent_key(model, relationship):
    pairs = relationship.local_remote_pairs
    if len(pairs) != 1:
        raise TypeError(f"datasync: {model.__name__}.{relationship.key} must join on one column")
    return pairs[0][1].name


def _column_names(model, keys):
    """Attribute keys (or column names) of `model` as column names."""
    mapper = inspect(model)
    names = []
    for key in keys:
        prop = mapper.attrs.get(key)
        names.append(prop.columns[0].name if prop is not None and hasattr(prop, "columns") else key)
    return tuple(names)


def entity_name(model):
    if hasattr(model, "audit_entity"):
        return model.audit_entity()
    return model.__tablename__.removeprefix(TABLE_PREFIX)


def declaration_of(model):
    """The Declaration of a model that sets `__datasync__ = True`."""
    entity = entity_name(model)
    table = model.__table__
    key = _single_key(table).name
    captured = [Captured(table.name, entity, key=key, pk=key,
                         ignore=_column_names(model, getattr(model, "__audit_exclude__", ())))]
    for name in getattr(model, "__audit_children__", ()):
        relationship = inspect(model).relationships[name]
        child_model, child = relationship.mapper.class_, relationship.mapper.local_table
        ignore = _column_names(child_model, getattr(child_model, "__audit_exclude__", ()))
        captured.append(Captured(child.name, entity, key=_parent_key(model, relationship),
                                 pk=_single_key(child).name, child=True, ignore=ignore))
    return Declaration(model, entity, tuple(captured))


def _mapped_classes():
    pending = [DeclarativeBase, DeclarativeBaseNoMeta]
    seen = set()
    while pending:   # breadth first: bases, then their classes in the order declared
        for sub in pending.pop(0).__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
                yield sub


def declared_models():
    """Every mapped class with its own table that sets `__datasync__ = True`."""
    return [cls for cls in _mapped_classes()
            if getattr(cls, "__datasync__", False) is True and "__table__" in cls.__dict__
            and inspect(cls, raiseerr=False) is not None]


def declarations(tables=None):
    """{entity: Declaration} of every declared model; with `tables` ({name: Table}, e.g. a
    MetaData's), only those whose table is among them (by name, so a test's scratch copy of
    the app's tables counts; a class mapped to that very Table wins over another)."""
    found = {}
    for model in declared_models():
        table = model.__table__
        if tables is not None and table.name not in tables:
            continue
        declaration = declaration_of(model)
        if declaration.entity not in found or (tables is not None and tables[table.name] is table):
            found[declaration.entity] = declaration
    return found
