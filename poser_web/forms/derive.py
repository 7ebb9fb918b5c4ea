"""Form schemas derived from a model's columns: `MasterView.form_fields = ("name", ...)`.

Each column's type decides the field and its limits (those of the database):
String(n) a trimmed text of at most n characters, Text a text area, Integer a
whole number in the column's range, Numeric(p, s) a decimal with its precision
and scale, Boolean a checkbox, Date and DateTime date / date-and-time inputs
(in the display time zone), choices (`info={"choices": ...}` or an Enum) a
select, and a many-to-one relationship a select of the other table's rows, or a
search-as-you-type picker when that table is large.
"""
import enum

import colander
import deform
from sqlalchemy import func, inspect, select, types

from ..display.labels import field_label, label_column, label_of, model_title
from ..models.defaults import declared_default
from ..models.rules import bounds, check_value
from . import StrippedString, checkbox_node, inline_rows, key_node
from .types import (
    Choice,
    DateOnly,
    DecimalNumber,
    FloatNumber,
    ForeignKey,
    LocalDateTime,
    OptionalBoolean,
    WholeNumber,
)

# A related table with at most this many rows is offered as a select; a larger one
# gets the search-as-you-type picker (no page lists 100,000 options).
SELECT_LIMIT = 100
# Inline child rows accepted per record (the browser's limit is only a convenience).
MAX_INLINE_ROWS = 200

INTEGER_RANGES = (  # checked most specific first
    (types.SmallInteger, -2 ** 15, 2 ** 15 - 1),
    (types.BigInteger, -2 ** 63, 2 ** 63 - 1),
    (types.Integer, -2 ** 31, 2 ** 31 - 1),
)


def field_title(model, name):
    """The title a field is shown with: the one label it has everywhere (display/labels.py)."""
    return field_label(model, name)


def field_titles(model, names=None):
    """{name: title} for a model's columns (history pages use them)."""
    mapper = inspect(model)
    return {name: field_title(model, name) for name in (names or mapper.column_attrs.keys())}


def _row_widget(widget, in_row):
    if in_row and isinstance(widget, deform.widget.TextInputWidget):
        widget.template = "row_textinput"
    return widget


def _text_widget(in_row, **attributes):
    return _row_widget(deform.widget.TextInputWidget(attributes=attributes), in_row)


def column_node(model, name, in_row=False):
    """A schema node for column attribute `name` of `model`."""
    column = inspect(model).column_attrs[name].columns[0]
    title = field_title(model, name)
    kind = column.type
    kwargs = {}
    choices = column.info.get("choices")
    if isinstance(kind, types.Boolean):
        if not column.nullable:
            node = checkbox_node(name, title)
            node.default = bool(declared_default(column))
            return node
        typ = OptionalBoolean()
        widget = deform.widget.SelectWidget(values=[("", "—"), ("true", "Yes"), ("false", "No")])
    elif choices or isinstance(kind, types.Enum):
        enum_class = getattr(kind, "enum_class", None)
        if choices:
            pairs = [c if isinstance(c, tuple) else (c, c) for c in choices]
        elif enum_class is not None:
            pairs = [(m.value, str(m.value)) for m in enum_class]
        else:
            pairs = [(v, v) for v in kind.enums]
        if enum_class is not None and not issubclass(enum_class, enum.Enum):
            enum_class = None
        typ = Choice([(str(v), str(t)) for v, t in pairs], enum_class if not choices else None)
        widget = deform.widget.SelectWidget(values=[("", "—")] + [(str(v), str(t)) for v, t in pairs])
    elif isinstance(kind, types.Integer):
        low, high = next((lo, hi) for cls, lo, hi in INTEGER_RANGES if isinstance(kind, cls))
        typ = WholeNumber(low, high)
        widget = _text_widget(in_row, inputmode="numeric", **_range_attributes(column, 0))
    elif isinstance(kind, types.Float):
        typ = FloatNumber()
        widget = _text_widget(in_row, inputmode="decimal", **_range_attributes(column, None))
    elif isinstance(kind, types.Numeric):
        typ = DecimalNumber(kind.precision, kind.scale)
        widget = _text_widget(in_row, inputmode="decimal", **_range_attributes(column, kind.scale))
    elif isinstance(kind, types.DateTime):
        typ = LocalDateTime()
        widget = _text_widget(in_row, type="datetime-local", step="1")
    elif isinstance(kind, types.Date):
        typ = DateOnly()
        widget = _text_widget(in_row, type="date")
    elif isinstance(kind, types.String):
        typ = StrippedString()
        length = getattr(kind, "length", None)
        if isinstance(kind, types.Text) and not in_row:
            widget = deform.widget.TextAreaWidget(rows=5)
        else:
            widget = _text_widget(in_row, **({"maxlength": length} if length else {}))
        if length:
            kwargs["validator"] = colander.Length(
                max=length, max_err=f"Too long: at most {length} characters.")
    else:
        raise TypeError(f"{model.__name__}.{name}: no form field for {kind!r}; "
                        "write a schema for it (MasterView.schema).")
    if in_row and isinstance(widget, deform.widget.SelectWidget):
        # A row left blank is dropped by the server: the browser must let it go.
        widget.attributes = {"required": None}
    if column.nullable:
        kwargs["missing"] = None
    else:
        kwargs["missing_msg"] = f"{title} is required."
    if any(b is not None for b in bounds(column)):
        kwargs["validator"] = _in_range(column)
    if not in_row:
        kwargs["default"] = _new_record_default(column)
    return colander.SchemaNode(typ, name=name, title=title, widget=widget, **kwargs)


def _range_attributes(column, scale):
    """A declared range as a number input's min, max and step (the browser checks it too)."""
    low, high = bounds(column)
    if low is None and high is None:
        return {}
    step = "any" if scale is None else ("1" if scale == 0 else f"0.{'0' * (scale - 1)}1")
    attributes = {"type": "number", "step": step}
    if low is not None:
        attributes["min"] = str(low)
    if high is not None:
        attributes["max"] = str(high)
    return attributes


def _in_range(column):
    def validate(node, value):
        message = check_value(column, value)
        if message:
            raise colander.Invalid(node, message)
    return validate


def _new_record_default(column):
    """The column's default, shown on the create form only (an edit form shows what is
    saved, blank included); worked out per form, so today's date is today's."""
    @colander.deferred
    def default(node, kw):
        if kw.get("instance") is not None:
            return colander.null
        value = declared_default(column)
        return colander.null if value is None else value
    return default


class PickerWidget(deform.widget.Widget):
    """Search-as-you-type choice of a row of a large table (static/poser.js drives it).

    A hidden input carries the key; the visible one is a combobox whose list
    comes from `lookup_url` (JSON). Without a choice made, the key stays.
    """

    template = "picker"
    readonly_template = "picker"

    def __init__(self, model, lookup_url, **kw):
        super().__init__(**kw)
        self.model, self.lookup_url = model, lookup_url

    def serialize(self, field, cstruct, **kw):
        if cstruct in (colander.null, None):
            cstruct = ""
        request = field.schema.bindings.get("request") if field.schema.bindings else None
        row = request.dbsession.get(self.model, cstruct) if cstruct and request is not None else None
        label = label_of(row) if row is not None else ""
        return field.renderer(self.template, field=field, cstruct=cstruct, label=label,
                              lookup_url=self.lookup_url, **kw)

    def deserialize(self, field, pstruct):
        if pstruct is colander.null or (isinstance(pstruct, str) and not pstruct.strip()):
            return colander.null
        if not isinstance(pstruct, str):
            raise colander.Invalid(field.schema, "Expected one choice.", pstruct)
        return pstruct.strip()


def relation_node(model, name, request, lookup_url):
    """A node choosing the row a many-to-one relationship points to (its key)."""
    relationship = inspect(model).relationships[name]
    target = relationship.mapper.class_
    title = field_title(model, name)
    nullable = all(c.nullable for c in relationship.local_columns)
    db = request.dbsession
    few = db.scalar(select(func.count()).select_from(
        select(1).select_from(target).limit(SELECT_LIMIT + 1).subquery())) <= SELECT_LIMIT
    if few:
        rows = sorted(db.scalars(select(target)), key=lambda row: label_of(row).lower())
        key = inspect(target).primary_key[0].key
        widget = deform.widget.SelectWidget(
            values=[("", "—")] + [(getattr(row, key), label_of(row)) for row in rows])
    else:
        widget = PickerWidget(target, lookup_url)
    kwargs = {"missing": None} if nullable else {"missing_msg": f"{title} is required."}
    return colander.SchemaNode(ForeignKey(target, title), name=name, title=title, widget=widget,
                               **kwargs)


def is_relation(model, name):
    mapper = inspect(model)
    return name in mapper.relationships and mapper.relationships[name].direction.name == "MANYTOONE"


def derived_schema(model, fields, inlines, request, lookup_url=None):
    """The colander schema of `fields` (and inline child rows) of `model`."""
    schema = colander.SchemaNode(colander.Mapping())
    for name in fields:
        if is_relation(model, name):
            schema.add(relation_node(model, name, request, lookup_url(name) if lookup_url else ""))
        else:
            schema.add(column_node(model, name))
    for name, row_fields in inlines.items():
        relationship = inspect(model).relationships[name]
        child = relationship.mapper.class_
        row = colander.SchemaNode(
            colander.Mapping(), name="row", title=model_title(child),
            widget=deform.widget.MappingWidget(template="mapping_row_cells"))
        row.add(key_node())
        for field in row_fields:
            row.add(column_node(child, field, in_row=True))
        title = field_title(model, name)
        singular = title[:-1] if title.endswith("s") else model_title(child)
        schema.add(inline_rows(
            name, title, row, MAX_INLINE_ROWS, f"Add {singular}",
            parent_collection=lambda instance, name=name: getattr(instance, name)))
    return schema


# Matches a picker offers at a time.
LOOKUP_LIMIT = 20


def lookup_matches(db, model, query):
    """Rows of `model` whose label column contains `query` (any case), by label."""
    key = inspect(model).primary_key[0]
    column = label_column(model)
    statement = select(model)
    if column is not None:
        if query:
            statement = statement.where(func.lower(column).contains(query.lower(), autoescape=True))
        statement = statement.order_by(column, key)
    else:
        if query:
            statement = statement.where(key.startswith(query.lower(), autoescape=True))
        statement = statement.order_by(key)
    rows = list(db.scalars(statement.limit(LOOKUP_LIMIT + 1)))
    return {"results": [{"value": getattr(row, key.key), "label": label_of(row)}
                        for row in rows[:LOOKUP_LIMIT]],
            "more": len(rows) > LOOKUP_LIMIT}
