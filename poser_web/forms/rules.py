"""A model's declared rules checked on a whole form, derived or hand-built (models/rules.py).

`make_form(..., model=...)` puts `declared_rules(model)` on every form's schema: after the
fields are valid, the values that would be saved are checked against the model's unique
keys (a message at the field naming the record that has them, linked to its page) and
ranges (for a hand-built schema; a derived field checks its own). The form's bindings
give what it needs: `request` (its database session), `instance` (the record edited;
None for a new one) and `record_url` (record -> its page, or None).
"""
from functools import cache

import colander
from markupsafe import Markup
from sqlalchemy import inspect

from ..display.labels import field_label, label_of, model_title
from ..models.rules import bounds, check_values, find_conflicts, unique_keys


@cache  # a model's columns and keys are fixed once it is declared; asked on every form
def has_rules(model):
    return bool(unique_keys(model)) or any(
        any(b is not None for b in bounds(c)) for c in model.__table__.columns)


def declared_rules(model):
    """A colander validator of a whole form of `model`, or None when it declares no rules."""
    if not has_rules(model):
        return None

    def validate(node, appstruct):
        bindings = node.bindings or {}
        request = bindings.get("request")
        values = column_values(model, appstruct)
        error = None
        for key, message in check_values(model, values).items():
            error = _add(error, node, field_of(model, key, node), message)
        if request is not None:
            record_url = bindings.get("record_url") or (lambda record: None)
            for conflict in find_conflicts(request.dbsession, model, values,
                                           bindings.get("instance")):
                fields = [f for f in (field_of(model, k, node) for k in conflict.key.keys) if f]
                error = _add(error, node, fields[0] if fields else None,
                             conflict_message(model, conflict, record_url))
        if error is not None:
            raise error

    return validate


def conflict_message(model, conflict, record_url):
    """"Specimen “Alpha” has this code already." with the record linked to its page."""
    fields = " and ".join(field_label(model, k).lower() for k in conflict.key.keys)
    label = f"“{label_of(conflict.existing)}”"
    url = record_url(conflict.existing)
    shown = Markup('<a href="{}">{}</a>').format(url, label) if url else label
    return Markup("{} {} has this {} already: it must be unique.").format(
        model_title(model), shown, fields)


def column_values(model, appstruct):
    """The form's values by the model's attribute keys (a relationship by its key column)."""
    mapper = inspect(model)
    values = {}
    for name, value in appstruct.items():
        if name in mapper.column_attrs:
            values[name] = value
        elif name in mapper.relationships:
            local = list(mapper.relationships[name].local_columns)
            if mapper.relationships[name].direction.name == "MANYTOONE" and len(local) == 1:
                values[mapper.get_property_by_column(local[0]).key] = value
    return values


def field_of(model, key, node):
    """The form field holding attribute `key`: itself, or the relationship it is the key of."""
    if key in node:
        return key
    mapper = inspect(model)
    column = mapper.column_attrs[key].columns[0] if key in mapper.column_attrs else None
    for relationship in mapper.relationships:
        if column is not None and column in relationship.local_columns and relationship.key in node:
            return relationship.key
    return None


def _add(error, node, field, message):
    """`error` (created when None) with `message` at `field`, or at the form when None."""
    if error is None:
        error = colander.Invalid(node, None)
    if field is None:
        error.msg = message if error.msg is None else Markup(" ").join([error.msg, message])
    elif not any(child.node.name == field for child in error.children):
        error[field] = message
    return error
