"""Widget.version goes up with every change to a widget or its components.

The version is the lost-update guard: a form carries the version it was
opened at, and the save is refused when the widget has moved on. Bumping it
here, at flush, covers every writer (web, command line, importers).
"""
from sqlalchemy import event
from sqlalchemy.orm import Session

from .widgets import Component, Widget


@event.listens_for(Session, "before_flush")
def bump_versions(session, flush_context, instances):
    changed = set()
    for obj in session.dirty:
        if isinstance(obj, Widget) and session.is_modified(obj):
            changed.add(obj)
        elif isinstance(obj, Component) and session.is_modified(obj) and obj.widget is not None:
            changed.add(obj.widget)
    for obj in session.new:
        if isinstance(obj, Component) and obj.widget is not None and obj.widget not in session.new:
            changed.add(obj.widget)
    for obj in session.deleted:
        if isinstance(obj, Component) and obj.widget is not None and obj.widget not in session.deleted:
            changed.add(obj.widget)
    for widget in changed:
        if widget not in session.new and widget not in session.deleted:
            widget.version = (widget.version or 1) + 1
