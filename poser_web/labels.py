"""What a record is called on pages, in messages and in history: `label_of(instance)`.

A model's own `__str__` wins; otherwise the first of its name / description /
title / code columns that has a value; otherwise "<Title> 1a2b3c4d" (its class
name and the start of its key). No model needs a `__str__` for pages to read well.
"""
import re

from sqlalchemy import inspect

LABEL_COLUMNS = ("name", "description", "title", "code")


def model_title(model):
    """"SpecimenPart" -> "Specimen Part"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", model.__name__)


def plural(word):
    """English plural of a table's name or title: gizmo -> gizmos, entry -> entries."""
    lower = word.lower()
    if lower.endswith("y") and lower[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def label_column(model):
    """The column a record of `model` is best known by (None when it has none of them)."""
    columns = {attr.key for attr in inspect(model).column_attrs}
    return next((name for name in LABEL_COLUMNS if name in columns), None)


def label_of(instance):
    """A short human name for `instance`."""
    if instance is None:
        return ""
    model = type(instance)
    if model.__str__ is not object.__str__:
        return str(instance)
    columns = {attr.key for attr in inspect(model).column_attrs}
    for name in LABEL_COLUMNS:
        if name in columns:
            value = getattr(instance, name)
            if value not in (None, ""):
                return str(value)
    key = inspect(instance).identity
    key = str(key[0]) if key else str(getattr(instance, "uuid", "") or "")
    return f"{model_title(model)} {key[:8]}".strip()
