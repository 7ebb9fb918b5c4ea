"""PostgreSQL: the foreign keys a big load may drop and add again once, before commit.

A foreign key is checked row by row as rows arrive: each inserted child row runs a look-up of
its parent, locking it (a trigger queued per row). Added again after the load, the key is
checked once for all rows, by one join (pg_restore's order: data first, constraints after).
60,000 component rows: 563 ms with the key checked per row, 288 ms without and 15 ms to add it
back (a scratch table, psql).

Only keys to a table the same writer wrote (a child row's owner, written in the same chunk)
go: the writer makes those rows itself from the file's records, so checking them once at the
end changes no outcome. A key to any other table (a look-up, a user) stays, so a row the
database refuses is still refused at its own chunk, with its lines. Only validated keys go
(adding back a NOT VALID one would check old rows it never checked).
"""
QUERY = """
SELECT k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k
JOIN pg_class parent ON parent.oid = k.confrelid
WHERE k.conrelid = to_regclass(%(table)s) AND k.contype = 'f' AND k.convalidated
  AND parent.relname = ANY(%(parents)s)
ORDER BY k.conname"""


def load_foreign_keys(connection, table, parents):
    """{name: definition} of the validated foreign keys of `table` (a sqlalchemy Table) to one
    of the tables named in `parents`."""
    return dict(connection.exec_driver_sql(
        QUERY, {"table": table.name, "parents": sorted(parents)}).all())


def drop_foreign_keys(connection, table, keys):
    quote = connection.dialect.identifier_preparer.quote
    for name in keys:
        connection.exec_driver_sql(f"ALTER TABLE {quote(str(table))} DROP CONSTRAINT {quote(name)}")


def add_foreign_keys(connection, table, keys):
    """Each key again, checked once against every row of `table` (one statement each)."""
    quote = connection.dialect.identifier_preparer.quote
    for name, definition in keys.items():
        connection.exec_driver_sql(
            f"ALTER TABLE {quote(str(table))} ADD CONSTRAINT {quote(name)} {definition}")
