"""A record as the API shows it: its key, version, fields and (one record) its child rows,
named as in the table's file layout (models/catalog.TableSpec)."""
from .values import to_json


def record_json(spec, instance, children=False):
    """{"uuid", "version", <field>: value, …[, <child relationship>: [rows]]}."""
    found = {spec.key.key: getattr(instance, spec.key.key)}
    if spec.versioned:
        found["version"] = instance.version
    for field in spec.fields:
        found[field.name] = to_json(field, getattr(instance, _attribute(spec.model, field)))
    if children:
        for child in spec.children:
            found[child.name] = [child_json(child, row) for row in getattr(instance, child.name)]
    return found


def child_json(child, row):
    return {child.key.key: getattr(row, child.key.key),
            **{f.name: to_json(f, getattr(row, _attribute(child.model, f))) for f in child.fields}}


def _attribute(model, field):
    """The mapped attribute of a field's column (its key may differ from the column's name)."""
    return model.__mapper__.get_property_by_column(field.column).key
