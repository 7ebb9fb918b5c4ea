"""What a record is called on pages, in messages and in other records' cells.

A model's own `__str__` wins; without one the first filled of its name /
description / title / code columns is used, else "<Title> 1a2b3c4d" (the
model's title and the start of its key), never "<... object at 0x7f...>".
"""
import re
from functools import lru_cache

from sqlalchemy import inspect

LABEL_COLUMNS = ("name", "description", "title", "code")


def title_of(model):
    """"SpecimenPart" -> "Specimen Part"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", model.__name__)


def label_column(model):
    """The mapped column a label falls back to (also what a relationship cell sorts by), or None."""
    columns = {c.key: c for c in inspect(model).column_attrs}
    for name in LABEL_COLUMNS:
        if name in columns:
            return getattr(model, name)
    return None


def has_own_str(model):
    return any("__str__" in vars(klass) for klass in model.__mro__ if klass is not object)


def label_of(instance):
    """The text naming `instance` to a user."""
    if instance is None:
        return ""
    model = type(instance)
    if has_own_str(model):
        return str(instance)
    for name in LABEL_COLUMNS:
        value = getattr(instance, name, None)
        if value not in (None, "") and not callable(value):
            return str(value)
    key = inspect(model).primary_key[0].key
    return f"{title_of(model)} {str(getattr(instance, key, '') or '')[:8]}".strip()


def humanize(name):
    """"checked_at" -> "Checked At", "widget.description" -> "Widget Description"."""
    return " ".join(word.capitalize() for word in name.replace(".", " ").replace("_", " ").split())


@lru_cache(maxsize=None)
def field_label(model, name):
    """What a column or relationship of `model` is called everywhere: list header, form
    field, record page, history.

    `info={"title": ...}` on the column wins. A foreign key column is called as its
    many-to-one relationship, and the relationship by its own name:
    `preferred_widget_uuid` and `preferred_widget` are both "Preferred Widget".
    """
    mapper = inspect(model)
    if name in mapper.relationships:
        local = list(mapper.relationships[name].local_columns)
        if len(local) == 1 and local[0].info.get("title"):
            return local[0].info["title"]
        return humanize(name)
    if name in mapper.column_attrs:
        column = mapper.column_attrs[name].columns[0]
        if column.info.get("title"):
            return column.info["title"]
        for relationship in mapper.relationships:
            if relationship.direction.name == "MANYTOONE" and column in relationship.local_columns:
                return humanize(relationship.key)
    return humanize(name)


# The forms and navigation side call a model's title this.
model_title = title_of


def plural(word):
    """English plural of a table's name or title: gizmo -> gizmos, entry -> entries."""
    lower = word.lower()
    if lower.endswith("y") and lower[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"
