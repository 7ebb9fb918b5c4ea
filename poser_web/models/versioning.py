"""A Versioned record's version goes up with every change to it or its child rows.

The version is the lost-update guard: a form carries the version it was
opened at, and the save is refused when the record has moved on. Bumping it
here, at flush, covers every writer through the ORM (web, command line,
scripts); children are those named in the parent's `__audit_children__`.
"""
from sqlalchemy import event
from sqlalchemy.orm import Session

from .mixins import Versioned, child_relations


def _parents(session, obj):
    for relation in child_relations(type(obj)):
        if issubclass(relation.parent, Versioned):
            parent = relation.parent_of(session, obj)
            if parent is not None:
                yield parent


@event.listens_for(Session, "before_flush")
def bump_versions(session, flush_context, instances):
    changed = set()
    new, deleted = session.new, session.deleted  # each read builds a new set: read once
    with session.no_autoflush:
        for obj in session.dirty:
            if isinstance(obj, Versioned) and session.is_modified(obj):
                changed.add(obj)
            elif child_relations(type(obj)) and session.is_modified(obj):
                changed.update(_parents(session, obj))
        for obj in list(new) + list(deleted):
            changed.update(_parents(session, obj))
    for record in changed:
        if record not in new and record not in deleted:
            record.version += 1  # NOT NULL, 1 from the insert on: never None to default
