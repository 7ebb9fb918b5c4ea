"""Field values as the API's JSON carries them, by the column's type (models/catalog.FieldSpec).

Whole numbers and booleans are JSON numbers and booleans. Numeric columns are **strings** of
their exact decimal ("12.500", with the column's scale): JSON numbers are binary floats in most
clients (JavaScript's above all), which cannot hold 0.1 exactly and round large amounts, so a
price would not survive a round trip; a string carries the exact value, as money APIs do. Dates
are ISO 8601 (`2026-12-04`); date-times ISO 8601 in UTC with their offset
(`2026-12-04T13:05:00+00:00`), stored naive in UTC. Choices are their stored value; a foreign
key is the key of the record it names.
"""
from datetime import date, timezone
from decimal import Decimal

from ..transfer.engine import stored


def to_json(field, value):
    """The JSON value of `value` stored in `field`."""
    value = stored(field, value)
    if value is None:
        return None
    kind = field.kind
    if kind == "numeric":
        value = Decimal(value)
        return f"{value:.{field.scale}f}" if field.scale is not None else format(value, "f")
    if kind == "datetime":
        return value.replace(tzinfo=timezone.utc).isoformat() if value.tzinfo is None else \
            value.astimezone(timezone.utc).isoformat()
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "integer":
        return int(value)
    return value


def json_schema(field):
    """The field's JSON Schema (OpenAPI 3.1), with its limits and choices."""
    kind = field.kind
    if kind == "boolean":
        schema = {"type": "boolean"}
    elif kind == "integer":
        schema = {"type": "integer", "minimum": field.minimum, "maximum": field.maximum}
    elif kind == "numeric":
        whole = (field.precision or 18) - (field.scale or 0)
        fraction = f"(\\.[0-9]{{1,{field.scale}}})?" if field.scale else ""
        schema = {"type": "string", "format": "decimal",
                  "pattern": f"^-?[0-9]{{1,{whole}}}{fraction}$",
                  "description": "An exact decimal as a string (JSON numbers are floats)."}
        if field.minimum is not None:
            schema["x-minimum"] = str(field.minimum)
        if field.maximum is not None:
            schema["x-maximum"] = str(field.maximum)
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "datetime":
        schema = {"type": "string", "format": "date-time"}
    elif field.target is not None:
        schema = {"type": "string", "pattern": "^[0-9a-f]{32}$",
                  "description": f"The key of a {field.reference}."}
    elif field.choices:
        schema = {"type": "string", "enum": [str(c) for c in field.choices]}
    else:
        schema = {"type": "string"}
        if field.length:
            schema["maxLength"] = field.length
    schema = {k: v for k, v in schema.items() if v is not None}
    if field.nullable:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = schema["enum"] + [None]
    schema["title"] = field.title
    doc = getattr(field.column, "doc", None)
    if doc and "description" not in schema:
        schema["description"] = doc
    return schema

