"""Declarative helpers a model opts into: lost-update protection and history.

    class Gizmo(Versioned, Audited, Base):
        __tablename__ = "poser_gizmo"
        __audit_children__ = ("parts",)      # child rows recorded in the gizmo's history
        ...

`Versioned` adds a `version` column that goes up with every saved change to the
record or to the children named in `__audit_children__` (models/versioning.py);
forms carry it and a save or delete based on an older one is refused (409).
`Audited` records every change in `poser_change` (models/audit.py), children
included, whoever makes it through the ORM (web, shell, scripts).
"""
from sqlalchemy import Integer, inspect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ..display.labels import model_title
from .meta import TABLE_PREFIX

_generation = [0]  # goes up when a Versioned or Audited class is declared
_audit_fields_of = {}  # Audited class -> its audit_fields()


class Versioned:
    """A `version` counter checked by every UPDATE/DELETE (SQLAlchemy's version_id_col)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _generation[0] += 1

    version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default="1",
        doc="Goes up by one with every saved change to the record or its child rows; "
        "a save based on an older version is refused (no lost updates).",
    )

    @declared_attr.directive
    def __mapper_args__(cls):
        # Bumped by us at flush (versioning.py): children's changes count too.
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}


class Audited:
    """Every saved change recorded in `poser_change`, field by field.

    `__audit_children__`: relationship names (one-to-many, with a back
    reference) whose rows are recorded in this record's history.
    `__audit_exclude__`: columns left out (e.g. counters kept by triggers).
    """

    __audit_children__ = ()
    __audit_exclude__ = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _generation[0] += 1

    @classmethod
    def audit_entity(cls):
        """`Change.entity` of this table: its name without the project prefix."""
        name = cls.__tablename__
        return name[len(TABLE_PREFIX):] if name.startswith(TABLE_PREFIX) else name

    @classmethod
    def audit_fields(cls):
        # Asked for every record of every flush; the mapper's columns do not change.
        fields = _audit_fields_of.get(cls)
        if fields is None:
            fields = _audit_fields_of[cls] = audit_fields(cls, exclude=cls.__audit_exclude__)
        return fields


def audit_fields(model, exclude=(), parent_keys=()):
    """Column attributes recorded in history: all but keys, the version and `exclude`."""
    mapper = inspect(model)
    skip = {c.key for c in mapper.primary_key} | set(exclude) | set(parent_keys)
    if mapper.version_id_col is not None:
        skip.add(mapper.get_property_by_column(mapper.version_id_col).key)
    return tuple(attr.key for attr in mapper.column_attrs if attr.key not in skip)


class ChildRelation:
    """One `__audit_children__` entry: the parent class, its collection, the child's way back."""

    def __init__(self, parent, name):
        relationship = inspect(parent).relationships[name]
        reverse = list(relationship._reverse_property)
        if not reverse:
            raise TypeError(f"{parent.__name__}.{name} needs back_populates (or a backref) "
                            "to be recorded in its history.")
        self.parent, self.name = parent, name
        self.child = relationship.mapper.class_
        self.back = reverse[0].key  # e.g. Component.widget
        self.parent_keys = tuple(inspect(self.child).get_property_by_column(c).key
                                 for c in relationship.remote_side)
        self.fields = audit_fields(self.child, exclude=getattr(self.child, "__audit_exclude__", ()),
                                   parent_keys=self.parent_keys)
        self.singular = model_title(self.child).lower()

    def parent_of(self, session, obj):
        """The parent `obj` belongs to, or was just removed from (delete-orphan)."""
        parent = getattr(obj, self.back)
        if parent is not None:
            return parent
        history = inspect(obj).attrs[self.back].history
        if history.deleted:
            return history.deleted[0]
        key = [getattr(obj, k) for k in self.parent_keys]
        return session.get(self.parent, key[0]) if len(key) == 1 and key[0] is not None else None


_relations = {"generation": -1, "by_child": {}}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def child_relations(child_class):
    """The parents' `__audit_children__` entries whose rows are of `child_class`.

    Called for every object a flush touches: the index is rebuilt only when a
    Versioned or Audited class was declared since.
    """
    if _relations["generation"] != _generation[0]:
        by_child = {}
        for parent in set(_subclasses(Audited)) | set(_subclasses(Versioned)):
            if "__table__" not in parent.__dict__:
                continue  # an abstract mixin of mixins, not a table
            for name in getattr(parent, "__audit_children__", ()):
                relation = ChildRelation(parent, name)
                by_child.setdefault(relation.child, []).append(relation)
        _relations.update(generation=_generation[0], by_child=by_child)
    return _relations["by_child"].get(child_class, ())
