"""List-page query building: search, filters, sort and pagination.

No HTTP in here: a Grid turns plain parameters into SQL and back into a page
of rows. Views parse the request into a GridState with `Grid.parse()` and
turn a GridError into a 400. What a grid shows is declared in columns.py,
what it is asked and answers in state.py.
"""
from math import ceil

from sqlalchemy import and_, func, literal, or_, select, tuple_
from sqlalchemy.orm import contains_eager

from ..db.estimate import row_estimate
from .columns import Column, Contains, RelatedContains, dotted_value  # noqa: F401 (re-exported)
from .cursors import SORT_LABEL, decode_cursor, encode_cursor, safe_text
from .filters import GridError, YesNoFilter  # noqa: F401 (re-exported)
from .plain import needs_copy, plain_columns, plain_record
from .state import (  # noqa: F401 (PAGE_SIZES re-exported)
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    PAGE_SIZES,
    GridPage,
    GridState,
    positive_int,
    whole_number,
)

# Above this many matching rows the total is shown as "more than N": an exact
# count of a huge table would cost more than the page itself. At 1,000 a broad
# search on PostgreSQL is counted by reading a few thousand rows in order; at
# 10,000 it took the whole trigram bitmap and cost 20 times the page.
DEFAULT_COUNT_LIMIT = 1_000
# Statements kept per grid, by the state they answer (see Grid.statement).
STATEMENT_CACHE_SIZE = 256


class Grid:
    """A model's list page as SQL: declared once per master view."""

    def __init__(self, query, key, columns, search=(), filters=(), default_sort=None,
                 default_direction="asc", count_limit=DEFAULT_COUNT_LIMIT):
        self.columns = list(columns)
        self.sortable = {c.key: c for c in self.columns if c.sort is not None}  # asked per request
        # Related records shown in cells are joined (their label may be sorted
        # and filtered on) and loaded with the page's rows: no statement per row.
        self.eager = []
        for column in self.columns:
            if column.join is not None:
                query = query.outerjoin(column.join)
                self.eager.append(contains_eager(column.join))
        self.query = query  # a select() of the listed entity
        self.key = key  # unique column: the stable tie-breaker, and the row key
        self.search = tuple(search)
        self.filters = tuple(filters)
        reserved = {"q", "sort", "dir", "page", "per_page", "after", "before"}
        clashes = sorted(reserved & {f.key for f in self.filters})
        if clashes:
            raise ValueError(f"A filter cannot be named {', '.join(clashes)}: the list page uses it.")
        self.default_sort = default_sort or next(c.key for c in self.columns if c.sort is not None)
        self.default_direction = default_direction
        self.count_limit = count_limit
        self._statements = {}
        self.plain = plain_columns(self.query, self.key, self.columns)  # None: entities
        self.plain_copy = self.plain is not None and needs_copy(self.columns, self.plain)


    def parse(self, params):
        """A GridState from query parameters (a mapping of str -> str; a
        MultiDict's repeated values are read where a filter takes several)."""
        sort = params.get("sort") or self.default_sort
        if sort not in self.sortable:
            names = ", ".join(sorted(self.sortable))
            raise GridError(f"Cannot sort by {sort!r}; choose one of: {names}.")
        direction = params.get("dir") or (self.default_direction if sort == self.default_sort else "asc")
        if direction not in ("asc", "desc"):
            raise GridError(f"Sort direction must be asc or desc, not {direction!r}.")
        page = max(1, whole_number(params.get("page"), "page", 1))  # 0 or less: the first
        if page > MAX_PAGE:
            raise GridError(f"page must be at most {MAX_PAGE:,}.")
        per_page = positive_int(params.get("per_page"), "per_page", DEFAULT_PAGE_SIZE)
        if per_page not in PAGE_SIZES:
            sizes = ", ".join(map(str, PAGE_SIZES))
            raise GridError(f"Rows per page must be one of {sizes}, not {per_page}.")
        q = (params.get("q") or "").strip()
        if len(q) > 200:
            raise GridError("Search text is limited to 200 characters.")
        if not safe_text(q):
            raise GridError("Search text cannot contain a NUL character.")
        filters = {}
        for grid_filter in self.filters:
            value = grid_filter.parse(params)
            if value is not None:
                filters[grid_filter.key] = value
        if params.get("after") and params.get("before"):
            raise GridError("A page link cannot continue both after and before a row.")
        column = self.sortable[sort]
        after = decode_cursor(params.get("after"), column, self.key)
        before = decode_cursor(params.get("before"), column, self.key)
        return GridState(q=q, filters=filters, sort=sort, direction=direction, page=page,
                         per_page=per_page, after=after, before=before)

    def verify(self, session, state):
        """What only the database can tell of the parsed state: a record filter's record
        exists (a GridError naming the filter when not)."""
        for grid_filter in self.filters:
            if grid_filter.key in state.filters and hasattr(grid_filter, "verify"):
                grid_filter.verify(session, state.filters[grid_filter.key])

    def filter_params(self, state):
        """The query parameters that keep `state`'s filters (for links and forms)."""
        params = {}
        for grid_filter in self.filters:
            if grid_filter.key in state.filters:
                params.update(grid_filter.params(state.filters[grid_filter.key]))
        return params

    def filtered(self, state):
        """The query narrowed by the search text and filters, unordered."""
        query = self.query
        if state.q and self.search:
            query = query.where(or_(*(s.clause(state.q) for s in self.search)))
        for grid_filter in self.filters:
            if grid_filter.key in state.filters:
                query = grid_filter.apply(query, state.filters[grid_filter.key])
        return query

    def order(self, state, reverse=False):
        """ORDER BY clauses: the asked column and direction, the key as tie-breaker.

        NULL sorts as the largest value on every database: last going up, first
        going down (PostgreSQL's own order, which its indexes serve; SQLite is
        told so).
        """
        column = self.sortable[state.sort]
        expression = column.sort
        if _descending(state, reverse):
            clause = expression.desc()
            return (clause.nulls_first() if column.sort_nullable else clause), self.key.desc()
        clause = expression.asc()
        return (clause.nulls_last() if column.sort_nullable else clause), self.key.asc()

    def ordered(self, state):
        """The filtered query in the asked order."""
        return self.filtered(state).order_by(*self.order(state))

    def with_values(self, query):
        """`query` also selecting the computed columns' values (see Column.value),
        and loading the related records shown in cells."""
        computed = [c.value.label(c.key) for c in self.columns if c.value is not None]
        if self.eager:
            query = query.options(*self.eager)
        return query.add_columns(*computed)

    def cells(self, result_row, plain=False):
        """(instance, [cell value per column]) from a row of a with_values() query (`plain`:
        of plain columns, the instance a plain record)."""
        selected = result_row._mapping
        if plain:
            return plain_record(result_row, self.plain_copy), [selected[c.key] for c in self.columns]
        instance = result_row[0]
        return instance, [selected[c.key] if c.value is not None else dotted_value(instance, c.key)
                          for c in self.columns]

    def _plain_cells(self, result):
        """cells() of a page of plain rows: each column's place found once, not by name per cell."""
        if not result:
            return []
        fields = result[0]._fields
        places = [fields.index(column.key) for column in self.columns]
        copy = self.plain_copy
        return [(plain_record(row, copy), [row[i] for i in places]) for row in result]

    def onwards(self, state, backwards):
        """The keyset condition: rows after the cursor's row in the walk's order."""
        column = self.sortable[state.sort]
        sort = column.sort
        value, key = state.before if backwards else state.after
        value = literal(value, type_=sort.type)  # typed: an Enum member, a Decimal on SQLite
        down = _descending(state, backwards)
        if not column.sort_nullable:
            position, cursor = tuple_(sort, self.key), tuple_(value, key)
            return position < cursor if down else position > cursor
        # NULL is the largest value: it comes last going up, first going down.
        if value.value is None:
            tied = and_(sort.is_(None), self.key < key if down else self.key > key)
            return or_(tied, sort.is_not(None)) if down else tied
        position, cursor = tuple_(sort, self.key), tuple_(value, key)
        return position < cursor if down else or_(position > cursor, sort.is_(None))

    def page_query(self, state, page, plain=False):
        """The rows of one page, as a "deferred join": the page's keys are found
        first (an index-only walk), then only those rows are read, with their
        computed values and sort value (for the next page's cursor).

        With a cursor the walk starts at the cursor's row, so any page reached
        by Next / Previous costs what the first does; a page jumped to by
        number is skipped to with OFFSET (linear in its depth).
        """
        sort = self.sortable[state.sort].sort
        if state.after is None and state.before is None:
            keys = (self.ordered(state).offset((page - 1) * state.per_page))
        else:
            # Walk on from the cursor row: forwards after Next, backwards after Previous.
            backwards = state.before is not None
            keys = (self.filtered(state).where(self.onwards(state, backwards))
                    .order_by(*self.order(state, reverse=backwards)))
        keys = keys.with_only_columns(self.key).limit(state.per_page)
        rows = (self.query.with_only_columns(*self.plain, maintain_column_froms=True) if plain
                else self.query)
        return (self.with_values(rows).add_columns(sort.label(SORT_LABEL))
                .where(self.key.in_(keys.scalar_subquery())).order_by(*self.order(state)))

    def statement(self, kind, state, build, *args):
        """`build(state, *args)`, kept by (kind, state, args): a grid lives as long as its view
        class, and the same lists are asked for over and over (the first page above all).
        Building a select() and its SQLAlchemy cache key was a fifth of a list request; a
        kept statement has both. A search's clause may also depend on what was noted of its
        text (db/search.py): that is in the key. A search object without `noted` is never
        kept. Cleared when full; the dict is safe for threads to share."""
        noted = ()
        if state.q and self.search:
            if not all(hasattr(s, "noted") for s in self.search):
                return build(state, *args)
            noted = tuple(s.noted(state.q) for s in self.search)
        key = (kind, repr(state), args, noted)
        found = self._statements.get(key)
        if found is None:
            if len(self._statements) >= STATEMENT_CACHE_SIZE:
                self._statements.clear()
            found = self._statements[key] = build(state, *args)
        return found

    def count(self, session, state, limit=None):
        """(total, exact): exact up to `limit` (default count_limit), capped above it."""
        return self._count(session, state, limit)[:2]

    def _count(self, session, state, limit=None):
        """(total, exact, estimate): the estimate (estimate.py) of an unfiltered list
        above the limit, read in the same statement as the count."""
        limit = limit or self.count_limit
        query = self.statement("count", state, self.count_query, limit)
        # On the session's connection: a SELECT of columns needs none of the ORM's
        # execution (no entities, nothing to flush before a count).
        total, *estimate = session.connection().execute(query).one()
        if total > limit:
            estimate = estimate[0] if estimate and (estimate[0] or 0) > limit else None
            return limit, False, estimate
        return total, True, None

    def count_query(self, state, limit):
        """SELECT count(*) of up to limit + 1 matching rows; of a whole table, with its estimate."""
        capped = self.filtered(state).with_only_columns(self.key).limit(limit + 1)
        query = select(func.count()).select_from(capped.subquery())
        whole_table = (not state.q and self.query.whereclause is None
                       and not any(v not in ("", None) for v in state.filters.values()))
        if whole_table:
            query = query.add_columns(row_estimate(self.key.table))
        return query

    def page(self, session, state, plain=False):
        """The page the state asks for, in two statements: the count, then the rows. `plain`:
        rows as plain records where the columns allow it (plain.py), for pages that only
        show them."""
        plain = plain and self.plain is not None
        total, exact, estimate = self._count(session, state)
        pages = max(1, ceil(total / state.per_page))
        page = min(state.page, pages) if exact else state.page
        result = self._rows(session, state, page, plain)
        if not result and (state.after or state.before):
            # The rows around the cursor were deleted meanwhile: fall back to the number.
            state = state.with_changes(after=None, before=None)
            result = self._rows(session, state, page, plain)
        rows = self._plain_cells(result) if plain else [self.cells(row) for row in result]
        cursors = {}
        if result:
            sort_type = self.sortable[state.sort].sort.type  # an ORM attribute: asked once
            cursors = {"prev_cursor": encode_cursor(result[0], sort_type, self.key, plain),
                       "next_cursor": encode_cursor(result[-1], sort_type, self.key, plain)}
        return GridPage(rows=rows, total=total, total_is_exact=exact, page=page,
                        per_page=state.per_page, estimate=estimate, **cursors)

    def _rows(self, session, state, page, plain):
        statement = self.statement("plain" if plain else "page", state, self.page_query, page, plain)
        if plain:
            return session.connection().execute(statement).all()
        return session.execute(statement).unique().all()


def _descending(state, reverse=False):
    """Whether the list (or, `reverse`d, a walk back through it) runs high to low."""
    return (state.direction == "desc") != reverse
