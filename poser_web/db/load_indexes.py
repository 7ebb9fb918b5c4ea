"""PostgreSQL: the indexes of a table a big load may drop and build again once, before commit.

A load into an empty (or small) table pays for every index row by row: a random-key b-tree
insert costs about 1-2 us an entry, and a build from the loaded rows (one sort) a fraction of
that (20,000 widgets and 60,000 components: their COPY took 0.94 s of server CPU with their
seven plain b-tree indexes, 0.64-0.68 s without, and building the seven 0.14 s). What may go
is what guards nothing and serves none of the writer's own look-ups:

* kept: unique indexes (primary keys included: the database refuses duplicate keys while it
  loads), indexes of a constraint (exclusion), indexes whose first column is a foreign key's
  (the writer reads child rows by their parent's key, and a parent's delete checks them),
  indexes a CLUSTER remembers, with a comment, or in a tablespace of their own (a build from
  pg_get_indexdef would lose that), and invalid ones;
* dropped: the trigram search indexes (search_index.py) and the other plain indexes (sort
  orders, filters).

`load_deferral.LoadDeferral` decides when (a load of at least twice the rows the table
had) and builds them again from their own definitions.
"""
QUERY = """
SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = to_regclass(%(table)s) AND x.indisvalid AND x.indisready
  AND (i.relname = ANY(%(always)s) OR (
    NOT x.indisunique AND NOT x.indisclustered AND i.reltablespace = 0
    AND obj_description(i.oid, 'pg_class') IS NULL
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
    AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conrelid = x.indrelid
                    AND f.contype = 'f' AND f.conkey[1] = x.indkey[0])))
ORDER BY i.relname"""


def load_indexes(connection, table, always=()):
    """{name: CREATE INDEX statement} of the indexes of `table` a big load may rebuild: those
    named in `always` (the trigram indexes) and the plain ones above."""
    return dict(connection.exec_driver_sql(
        QUERY, {"table": table.name, "always": list(always)}).all())
