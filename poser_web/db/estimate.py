"""How many rows a table has, as the database estimates it: cheap at any size.

An unfiltered list of a big table shows "about 1,000,000" where counting
exactly would cost more than the page (grids.Grid.count selects this beside
its capped count, in the same statement).

* PostgreSQL: what its planner assumes — pg_class.reltuples (kept by
  autovacuum / ANALYZE) scaled by how much the table has grown since, in
  pages (pg_relation_size: a file size, no scan). NULL when never analyzed.
* SQLite: max(rowid) - min(rowid) + 1, two index seeks. Exact while no row
  was deleted from the middle of the table (rowids are handed out in order);
  an over-estimate after such deletes, never an under-estimate, so it never
  contradicts "more than the count limit". (sqlite_stat1 would need ANALYZE
  to have run, and goes stale just the same.)
"""
from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class RowEstimate(ColumnElement):
    """A scalar: the estimated number of rows of `table` (None when unknown)."""

    type = BigInteger()
    inherit_cache = True  # cached by its table (below): the list page's count stays a cached statement
    _traverse_internals = [("table", InternalTraversal.dp_clauseelement)]

    def __init__(self, table):
        self.table = table


def row_estimate(table):
    return RowEstimate(getattr(table, "element", table))


@compiles(RowEstimate)
def _estimate_sqlite(element, compiler, **kw):
    name = compiler.preparer.format_table(element.table)
    return f"((SELECT max(rowid) FROM {name}) - (SELECT min(rowid) FROM {name}) + 1)"


@compiles(RowEstimate, "postgresql")
def _estimate_postgresql(element, compiler, **kw):
    name = compiler.preparer.format_table(element.table).replace("'", "''")
    return ("(SELECT CASE WHEN c.reltuples < 0 THEN NULL WHEN c.relpages = 0 THEN c.reltuples::bigint "
            "ELSE (c.reltuples / c.relpages * (pg_relation_size(c.oid) / "
            "current_setting('block_size')::int))::bigint END "
            f"FROM pg_class c WHERE c.oid = '{name}'::regclass)")


def rounded(estimate):
    """An estimate to two significant figures: 1,234,567 -> 1,200,000."""
    digits = len(str(int(estimate)))
    step = 10 ** max(0, digits - 2)
    return int(round(estimate / step) * step)
