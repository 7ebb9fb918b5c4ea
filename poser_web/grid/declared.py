"""A list page declared by column names: strings become grid columns, searches
and filters chosen by the model column's type.

    columns = ("name", "weight", "active", "widget")   # "widget": a relationship
    search = ("name", "widget", "parts.code")
    filters = ("weight", "active", "color", "widget")

Objects (grids.Column, Contains, RelatedContains, a filter) pass through as they are.
"""
from dataclasses import replace

from sqlalchemy import Enum, String, cast, inspect
from sqlalchemy.orm import aliased

from ..display.labels import field_label, label_column
from ..display.values import choices_of, column_kind
from .columns import Column, Contains, RelatedContains
from .filters import (
    BooleanFilter,
    ChoiceFilter,
    DateFilter,
    DateTimeFilter,
    IntegerFilter,
    NumberFilter,
    RecordFilter,
    TextFilter,
)


def _attribute(model, name):
    """(kind, attribute): "column" or "relationship", or a ValueError naming what exists."""
    mapper = inspect(model)
    if name in mapper.column_attrs:
        return "column", getattr(model, name)
    if name in mapper.relationships:
        return "relationship", getattr(model, name)
    known = ", ".join(sorted([c.key for c in mapper.column_attrs] + [r.key for r in mapper.relationships]))
    raise ValueError(f"{model.__name__} has no column or relationship {name!r} (it has: {known}).")


def _table_column(attribute):
    return attribute.property.columns[0]


def make_column(model, name):
    """A grid Column for the column or many-to-one relationship `name`."""
    kind, attribute = _attribute(model, name)
    if kind == "column":
        column = _table_column(attribute)
        sort = attribute
        if isinstance(column.type, Enum) and column.type.native_enum:
            # PostgreSQL orders a native enum by declaration, SQLite by its text:
            # by the text on both.
            sort = cast(attribute, String())
        return Column(name, field_label(model, name), sort=sort, type=column.type,
                      nullable=column.nullable, choices=choices_of(column))
    prop = attribute.property
    if prop.uselist:
        raise ValueError(f"{model.__name__}.{name} holds many records: a list cell shows one "
                         "(use a Column with value= for a count).")
    related = prop.mapper.class_
    alias = aliased(related, name=f"grid_{name}")
    shown = label_column(related)
    sort = getattr(alias, shown.key) if shown is not None else next(iter(prop.local_columns))
    return Column(name, field_label(model, name), sort=sort, nullable=True,
                  type=getattr(sort, "type", None),
                  join=attribute.of_type(alias), related=related)


def make_columns(model, declared):
    """Columns from the declaration; a first column given by name links to the row's page."""
    columns = [make_column(model, c) if isinstance(c, str) else c for c in declared]
    if columns and isinstance(declared[0], str) and columns[0].related is None:
        columns[0] = replace(columns[0], link="view")
    return columns


def make_search(model, declared):
    """Contains / RelatedContains from names: a column, a relationship (its label
    column), or "relationship.column"."""
    searches = []
    for item in declared:
        if not isinstance(item, str):
            searches.append(item)
            continue
        name, _, remote = item.partition(".")
        kind, attribute = _attribute(model, name)
        if kind == "column" and not remote:
            searches.append(Contains(attribute))
            continue
        if kind != "relationship":
            raise ValueError(f"{model.__name__}.{name} is a column: search it as {name!r}.")
        related = attribute.property.mapper.class_
        target = _attribute(related, remote)[1] if remote else label_column(related)
        if target is None:
            raise ValueError(f"Name the column of {related.__name__} to search: {name}.<column>.")
        searches.append(RelatedContains(attribute, target))
    return searches


FILTERS_BY_KIND = {
    "string": TextFilter, "text": TextFilter, "integer": IntegerFilter, "numeric": NumberFilter,
    "date": DateFilter, "boolean": BooleanFilter,
}


def make_filter(model, name, zone):
    """The filter a column's type calls for; a relationship (or its foreign key) is "is this record"."""
    kind, attribute = _attribute(model, name)
    if kind == "relationship":
        prop = attribute.property
        local = next(iter(prop.local_columns))
        related = prop.mapper.class_
        return RecordFilter(name, field_label(model, name), getattr(model, _key_of(model, local)),
                            related, label_column(related), nullable=local.nullable)
    column = _table_column(attribute)
    if column.foreign_keys:
        for prop in inspect(model).relationships:
            if not prop.uselist and column in prop.local_columns:
                return RecordFilter(name, field_label(model, name), attribute, prop.mapper.class_,
                                    label_column(prop.mapper.class_), nullable=column.nullable)
    value_kind = column_kind(column)
    if value_kind == "choice":
        return ChoiceFilter(name, field_label(model, name), attribute, choices_of(column),
                            nullable=column.nullable)
    if value_kind == "datetime":
        return DateTimeFilter(name, field_label(model, name), attribute, nullable=column.nullable,
                              zone=zone)
    if value_kind not in FILTERS_BY_KIND:
        raise ValueError(f"No filter fits {model.__name__}.{name} ({column.type}): declare one.")
    return FILTERS_BY_KIND[value_kind](name, field_label(model, name), attribute,
                                       nullable=column.nullable)


def _key_of(model, table_column):
    for prop in inspect(model).column_attrs:
        if table_column in prop.columns:
            return prop.key
    raise ValueError(f"{table_column} is not mapped on {model.__name__}")


def make_filters(model, declared, zone):
    return [make_filter(model, f, zone) if isinstance(f, str) else f for f in declared]
