"""A list page's rows as plain records: the columns its cells read, not ORM entities.

Loading 50 entities (identity map, instance state, attribute instrumentation) was a tenth
of a list request, and the page only reads a few columns of each row. When every cell is a
column of the listed row itself (or a computed value), the page selects those columns and
the row's key, and each row is read as the result row itself (`row.uuid`,
`row.description`, as the cells and links read an entity), or a SimpleNamespace of it when a
column's name is also one of Row's own (`count`, `index`, `t`...). A cell of a related record, a dotted key or a link
function (which may read anything of the row) keeps the entities.
"""
from types import SimpleNamespace

from sqlalchemy import inspect
from sqlalchemy.engine import Row
from sqlalchemy.orm import ColumnProperty

# Names a result row answers itself: a column of one of them cannot be read as row.<name>.
_ROW_NAMES = frozenset(dir(Row))


def plain_columns(query, key, columns):
    """The labelled columns a plain page selects (the key first), or None when the page
    needs entities."""
    entity = query.column_descriptions[0].get("entity") if query.column_descriptions else None
    if entity is None:
        return None
    properties = inspect(entity).attrs
    selected = {key.key: key}
    for column in columns:
        if column.join is not None or column.related is not None or callable(column.link):
            return None
        if column.value is not None:
            continue  # selected by with_values
        prop = properties.get(column.key)
        if not isinstance(prop, ColumnProperty):
            return None
        selected[column.key] = getattr(entity, column.key)
    return [value.label(name) for name, value in selected.items()]


def needs_copy(columns, values):
    """Whether a plain row must be copied into a SimpleNamespace: some name it carries (a
    column, a computed value) is also a Row attribute."""
    names = {column.key for column in columns} | {value.key for value in values}
    return not names.isdisjoint(_ROW_NAMES) or any(name.startswith("_") for name in names)


def plain_record(result_row, copy):
    """The row as the cells and links read it."""
    return SimpleNamespace(**result_row._mapping) if copy else result_row
