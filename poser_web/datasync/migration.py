"""Change capture in migrations: the operations `op.create_datasync_capture(...)` and
`op.drop_datasync_capture(...)`, and the autogenerate comparator that writes them.

migrations/env.py imports this module. Then `alembic revision --autogenerate` compares the
declared tables (`__datasync__ = True`, declaration.py) with the captures the database has
(capture.installed_captures) and writes, with a frozen copy of the declaration:

    op.create_datasync_capture(
        Captured("poser_gizmo", entity="gizmo"),
        Captured("poser_gizmo_part", entity="gizmo", key="gizmo_uuid", child=True),
    )

for a declared table without its capture (new, or lost: SQLite drops a table's triggers when
batch mode rebuilds it) or with another one, and `op.drop_datasync_capture(...)` for a table
that no longer declares it; `alembic check` fails while either is due. A create replaces what
the tables had, so one call brings an outdated capture up to date.
"""
from alembic.autogenerate import comparators, renderers
from alembic.operations import MigrateOperation, Operations

from .capture import Captured, create_capture, drop_capture, installed_captures, is_installed
from .declaration import declarations

try:  # alembic >= 1.18: after the table comparators, so a new table is created first
    from alembic.util import DispatchPriority

    _comparator = comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
except (ImportError, TypeError):  # older: registration order does the same
    _comparator = comparators.dispatch_for("schema")


class _CaptureOp(MigrateOperation):
    def __init__(self, *captured):
        self.captured = tuple(captured)

    def to_diff_tuple(self):
        return (self.name, tuple(c.table for c in self.captured))


@Operations.register_operation("create_datasync_capture")
class CreateCaptureOp(_CaptureOp):
    """Capture one entity's tables (its table, then its child tables), replacing any capture."""
    name = "create_datasync_capture"

    @classmethod
    def create_datasync_capture(cls, operations, *captured):
        return operations.invoke(cls(*captured))

    def reverse(self):
        return DropCaptureOp(*self.captured)


@Operations.register_operation("drop_datasync_capture")
class DropCaptureOp(_CaptureOp):
    name = "drop_datasync_capture"

    @classmethod
    def drop_datasync_capture(cls, operations, *captured):
        return operations.invoke(cls(*captured))

    def reverse(self):
        return CreateCaptureOp(*self.captured)


@Operations.implementation_for(CreateCaptureOp)
def _create(operations, operation):
    create_capture(operations.get_bind(), *operation.captured)


@Operations.implementation_for(DropCaptureOp)
def _drop(operations, operation):
    drop_capture(operations.get_bind(), *operation.captured)


# -- autogenerate -------------------------------------------------------------------------

def _metadata_tables(metadata):
    tables = {}
    for one in metadata if isinstance(metadata, (list, tuple)) else [metadata]:
        if one is not None:
            tables.update((table.name, table) for table in one.tables.values())
    return tables


def capture_diff(connection, tables, included=lambda name: True):
    """(drops, creates): the CaptureOps that make `connection`'s captures match the tables
    declared among `tables` ({name: Table})."""
    wanted = declarations(tables).values()
    installed = {table: found for table, found in installed_captures(connection).items()
                 if included(table)}
    drops, creates, claimed = [], [], set()
    for declaration in wanted:
        names = {c.table for c in declaration.captured}
        claimed |= names
        if all(is_installed(installed, c) for c in declaration.captured):
            continue
        old = [found.captured for table, found in installed.items() if found.captured is not None
               and (table in names or found.captured.entity == declaration.entity)]
        claimed |= {c.table for c in old}
        if old:
            drops.append(DropCaptureOp(*old))
        creates.append(CreateCaptureOp(*declaration.captured))
    stray = {}
    for table, found in installed.items():
        if table not in claimed:   # no longer declared (a partial, unsigned one: its own entity)
            captured = found.captured or Captured(table, table.removeprefix("poser_"))
            stray.setdefault(captured.entity, []).append(captured)
    drops += [DropCaptureOp(*group) for group in stray.values()]
    return drops, creates


@_comparator
def compare_captures(autogen_context, upgrade_ops, schemas):
    connection = autogen_context.connection
    if connection is None or None not in schemas:
        return

    def included(name):
        return autogen_context.run_name_filters(name, "table", {"schema_name": None})

    drops, creates = capture_diff(connection, _metadata_tables(autogen_context.metadata), included)
    upgrade_ops.ops[:0] = drops       # before a table they were on is dropped
    upgrade_ops.ops.extend(creates)   # after a table they go on is created


def _render_captured(captured):
    defaults = Captured(captured.table, captured.entity)
    arguments = [repr(captured.table).replace("'", '"'), f'entity="{captured.entity}"']
    for name in ("key", "pk", "child", "ignore"):
        value = getattr(captured, name)
        if value != getattr(defaults, name):
            arguments.append(f"{name}={value!r}".replace("'", '"'))
    return f"Captured({', '.join(arguments)})"


def _render(autogen_context, operation):
    autogen_context.imports.add("from poser_web.datasync.capture import Captured")
    lines = [f"    {_render_captured(c)}," for c in operation.captured]
    return "\n".join([f"op.{operation.name}(", *lines, ")"])


renderers.dispatch_for(CreateCaptureOp)(_render)
renderers.dispatch_for(DropCaptureOp)(_render)


def capture_declared(connection, tables):
    """Create the captures the tables declared among `tables` ({name: Table} or a MetaData)
    need — what running the autogenerated operations would do (tests' create_all tables)."""
    tables = _metadata_tables(tables) if hasattr(tables, "tables") else tables
    drops, creates = capture_diff(connection, tables, included=lambda name: name in tables)
    for operation in creates:
        create_capture(connection, *operation.captured)
