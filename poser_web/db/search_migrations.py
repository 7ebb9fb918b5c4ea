"""Search indexes by declaration: a column the list pages search declares
`info={"search": True}`, and `alembic revision --autogenerate` writes the
`create_search_index(table, column)` call (search_index.py) into the revision;
`alembic check` fails while one is missing, and a column that stops declaring it
gets `drop_search_index`. migrations/env.py imports this module.

Alembic does not compare these indexes itself (a PostgreSQL-only GIN index, a SQLite
FTS5 table: the models cannot declare either), hence this comparator and renderer.
"""
from alembic.autogenerate import comparators, renderers
from alembic.operations import MigrateOperation, Operations
from alembic.util import DispatchPriority

from .search_index import (
    create_search_index,
    drop_search_index,
    fts_table_name,
    sqlite_trigram_available,
    trigram_index_name,
)

IMPORT = "from poser_web.db.search_index import create_search_index, drop_search_index"


def declared(metadata):
    """(table, column) of every column declaring a search index."""
    return [(table.name, column.name) for table in metadata.tables.values()
            for column in table.columns if column.info.get("search")]


def existing(connection, metadata):
    """(table, column) of the metadata's columns that have a search index in the database."""
    if connection.dialect.name == "postgresql":
        names = set(connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%\\_trgm'").scalars())
        name_of = trigram_index_name
    elif connection.dialect.name == "sqlite":
        names = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_fts' "
            "ESCAPE '\\'").scalars())
        name_of = fts_table_name
    else:
        return set()
    return {(table.name, column.name) for table in metadata.tables.values()
            for column in table.columns if name_of(table.name, column.name) in names}


@Operations.register_operation("create_search_index")
class CreateSearchIndexOp(MigrateOperation):
    def __init__(self, table_name, column_name):
        self.table_name, self.column_name = table_name, column_name

    @classmethod
    def create_search_index(cls, operations, table_name, column_name):
        return operations.invoke(cls(table_name, column_name))

    def reverse(self):
        return DropSearchIndexOp(self.table_name, self.column_name)

    def to_diff_tuple(self):  # what `alembic check` reports
        return ("add_search_index", self.table_name, self.column_name)


@Operations.register_operation("drop_search_index")
class DropSearchIndexOp(MigrateOperation):
    def __init__(self, table_name, column_name):
        self.table_name, self.column_name = table_name, column_name

    @classmethod
    def drop_search_index(cls, operations, table_name, column_name):
        return operations.invoke(cls(table_name, column_name))

    def reverse(self):
        return CreateSearchIndexOp(self.table_name, self.column_name)

    def to_diff_tuple(self):
        return ("remove_search_index", self.table_name, self.column_name)


@Operations.implementation_for(CreateSearchIndexOp)
def _create(operations, operation):
    create_search_index(operation.table_name, operation.column_name)


@Operations.implementation_for(DropSearchIndexOp)
def _drop(operations, operation):
    drop_search_index(operation.table_name, operation.column_name)


# LAST: after Alembic's own comparators, so a new table is created before its index.
@comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
def compare_search_indexes(autogen_context, upgrade_ops, schemas):
    connection, metadata = autogen_context.connection, autogen_context.metadata
    if connection is None or metadata is None:
        return
    if connection.dialect.name == "sqlite" and not sqlite_trigram_available(connection):
        return  # this SQLite searches by scanning: nothing to compare
    metadatas = metadata if isinstance(metadata, (list, tuple)) else [metadata]
    for meta in metadatas:
        wanted, there = set(declared(meta)), existing(connection, meta)
        for table, column in sorted(wanted - there):
            upgrade_ops.ops.append(CreateSearchIndexOp(table, column))
        for table, column in sorted(there - wanted):
            upgrade_ops.ops.append(DropSearchIndexOp(table, column))


@renderers.dispatch_for(CreateSearchIndexOp)
def _render_create(autogen_context, operation):
    autogen_context.imports.add(IMPORT)
    return f"create_search_index({operation.table_name!r}, {operation.column_name!r})"


@renderers.dispatch_for(DropSearchIndexOp)
def _render_drop(autogen_context, operation):
    autogen_context.imports.add(IMPORT)
    return f"drop_search_index({operation.table_name!r}, {operation.column_name!r})"
