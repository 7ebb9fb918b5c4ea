"""The row every request reads first: its session with the user and their permissions
(auth/sessions.py), compiled once per dialect and run on the driver's cursor."""
from collections import namedtuple
from functools import cache, lru_cache

from sqlalchemy import bindparam, select

from ..models import Role, RolePermission, ServerSession, User, user_roles


@cache
def load_statement():
    """The session row with its user and their permissions, for every request (bound: id,
    seen_after, created_after; see sessions._valid)."""
    table = ServerSession.__table__
    return (select(table.c.id, table.c.data, table.c.user_uuid, table.c.created_at,
                   table.c.last_seen_at, User.username, User.active, Role.grants_all,
                   RolePermission.permission)
            .outerjoin(User, User.uuid == table.c.user_uuid)
            .outerjoin(user_roles, user_roles.c.user_uuid == User.uuid)
            .outerjoin(Role, Role.uuid == user_roles.c.role_uuid)
            .outerjoin(RolePermission, RolePermission.role_uuid == Role.uuid)
            .where(table.c.id == bindparam("id"), table.c.last_seen_at > bindparam("seen_after"),
                   table.c.created_at > bindparam("created_after")))


SessionRow = namedtuple("SessionRow", [column.key for column in load_statement().selected_columns])


class RowLoader:
    """load_statement compiled once for a dialect, run on the driver's cursor.

    Every request reads its session first; through SQLAlchemy's statement execution (cache
    key, execution context, result metadata and processors) that was most of the cost of
    reading one row. Here: the SQL text, the driver's parameters and the columns' type
    conversions (SQLite's dates are text, its booleans integers) are worked out once; the
    statement still goes through the connection's `_cursor_execute`, so the engine's
    before/after_cursor_execute events see it and a driver error is raised as SQLAlchemy
    raises it (wrapped, a lost connection invalidated)."""

    def __init__(self, dialect):
        statement = load_statement()
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        binds = {name: compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                 for name in ("id", "seen_after", "created_after")}
        self.binds = [(name, process) for name, process in binds.items() if process is not None]
        self.order = tuple(compiled.positiontup) if compiled.positional else None
        self.results = [(index, process) for index, column in enumerate(statement.selected_columns)
                        if (process := column.type.dialect_impl(dialect)
                            .result_processor(dialect, None)) is not None]

    def rows(self, connection, values):
        for name, process in self.binds:
            values[name] = process(values[name])
        parameters = values if self.order is None else tuple(values[name] for name in self.order)
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, self.sql, parameters)
            found = cursor.fetchall()
        finally:
            cursor.close()
        if not self.results:
            return [SessionRow._make(row) for row in found]
        rows = []
        for row in found:
            row = list(row)
            for index, process in self.results:
                row[index] = process(row[index])
            rows.append(SessionRow._make(row))
        return rows


@lru_cache(maxsize=8)
def row_loader(dialect):
    return RowLoader(dialect)
