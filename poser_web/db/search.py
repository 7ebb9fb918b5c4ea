"""Search clauses: "this column contains the text", ignoring case, on any database.

`contains(column, text)` is what the list pages' search (grids.Contains,
grids.RelatedContains) puts in the WHERE clause. It means the same on every
database — case-insensitive containment (non-ASCII letters too), `%` and `_`
taken literally, one- and two-character texts included — and is served by the
column's search index when it has one (poser_web/db/search_index.py):

* PostgreSQL: `column ILIKE '%text%'` (a pg_trgm GIN index serves it).
* SQLite, text of 3+ characters and an FTS5 trigram table for the column:
  `rowid IN (SELECT rowid FROM <fts> WHERE <fts> MATCH '"text"')`. FTS5's
  trigram tokenizer folds case (Unicode, not only ASCII) and matches a quoted
  phrase as a substring.
* SQLite otherwise (1-2 characters, which trigrams cannot index, or no FTS
  table): a LIKE scan. SQLite's LIKE folds ASCII only, so a text with other
  letters compares both sides through Python's str.lower (`poser_lower`,
  registered on every connection by `prepare_sqlite`).
* SQLite, a phrase found in a large share of the rows ("common"): the LIKE
  scan too. Collecting all its FTS5 matches (80,000 for "sprocket" at a
  million widgets) costs more than the page; a scan in the list's own order
  finds the page's 50 rows, and the count's 1,001, after a few thousand. How
  common a phrase is, is noted by the statement that searched FTS5 for it (a
  constant subquery handed to `poser_note_matches`: no statement of its own)
  and used by the statements built after it, for NOTE_SECONDS. A related
  table's column (`scan=False`) always uses FTS5: its keys are all collected.

Which FTS tables exist is read from sqlite_master whenever a connection opens
(no statement per request) and kept on the engine's dialect.
"""
import time

from sqlalchemy import Boolean, bindparam, func, literal_column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnClause, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from .search_index import fts_table_name

# FTS5 trigrams index three characters: shorter texts are scanned for.
TRIGRAM = 3
ESCAPE = "/"
# How common a phrase is, noted per database: at most this many of its FTS
# matches are counted, and the note is trusted for NOTE_SECONDS.
COMMON_PROBE = 50_000
NOTE_SECONDS = 600
NOTES_KEPT = 2_000
# A phrase is common when collecting all its matches would cost more than
# scanning for the 1,001 the count needs: matches**2 > SCAN_RATIO * rows
# (FTS5 yields a match in ~1 us, a scan reads a row in ~0.35 us).
SCAN_RATIO = 350


def contains(column, text, scan=True):
    """WHERE clause: `column` contains `text`, ignoring case (see the module doc).

    `scan=False` where a LIKE scan would read a whole table instead of
    stopping early: inside a subquery whose rows are all collected (a related
    table's keys, grids.RelatedContains).
    """
    return Contains(column, text, scan)


class Contains(ColumnElement):
    type = Boolean()
    # Cached by column, text and what is noted of the text: the SQL holds the
    # text as constants (each distinct text is compiled once, then reused from
    # SQLAlchemy's LRU cache of compiled statements).
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("text", InternalTraversal.dp_string),
        ("scan", InternalTraversal.dp_boolean),
        ("common", InternalTraversal.dp_boolean),
    ]
    _is_implicitly_boolean = True  # no "= 1" after it on SQLite: the planner could not use the IN

    def __init__(self, column, text, scan=True):
        self.column = getattr(column, "expression", column)  # an ORM attribute's Column
        self.text = text
        self.scan = scan
        self._common = None

    @property
    def common(self):
        """Whether the text was noted common in this column (read once: the cache key and
        the compiled SQL agree)."""
        if self._common is None:
            self._common = _is_common(_fts_name(self.column), _phrase(self.text))
        return self._common


@compiles(Contains)
def _contains_default(element, compiler, **kw):
    return compiler.process(element.column.icontains(element.text, autoescape=True), **kw)


@compiles(Contains, "sqlite")
def _contains_sqlite(element, compiler, **kw):
    column, text = element.column, element.text
    fts = _fts_table(compiler.dialect, column)
    if fts is not None and len(text) >= TRIGRAM and not (element.scan and element.common):
        return compiler.process(_fts_clause(fts, _phrase(text), column.table), **kw)
    return compiler.process(_like_clause(column, text), **kw)


def _phrase(text):
    """`text` as an FTS5 phrase: quoted, its quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def _like_clause(column, text):
    pattern = "%" + _escape_like(text.lower()) + "%"
    if text.isascii():
        return column.like(pattern, escape=ESCAPE)  # SQLite's LIKE folds ASCII itself
    return func.poser_lower(column).like(pattern, escape=ESCAPE)


def _fts_clause(fts, phrase, source):
    """rowid IN (the FTS matches), noting on the way how common the phrase is."""
    def fts_match():
        return literal_column(fts).op("MATCH")(bindparam("fts_phrase", phrase, unique=True))

    first = select(literal_column("1")).select_from(table(fts)).where(fts_match()).limit(COMMON_PROBE + 1)
    rows = select(func.max(literal_column("rowid"))).select_from(source)
    note = func.poser_note_matches(fts, phrase, select(func.count()).select_from(first.subquery())
                                   .scalar_subquery(), rows.scalar_subquery())
    matches = (select(literal_column("rowid")).select_from(table(fts))
               .where(fts_match()).where(note == 1))
    return ColumnClause("rowid", _selectable=source).in_(matches)


def _escape_like(text):
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def _fts_name(column):
    """The name `column`'s FTS5 table has if it has one (None: not a table's column)."""
    source = getattr(column, "table", None)
    name = getattr(getattr(source, "element", source), "name", None)  # through an alias
    return None if name is None else fts_table_name(name, column.name)


def _fts_table(dialect, column):
    """The FTS5 table indexing `column` on this engine's database, or None."""
    fts = _fts_name(column)
    return fts if fts in getattr(dialect, "poser_fts_tables", ()) else None


def _lower(value):
    return value.lower() if isinstance(value, str) else value


# (fts table, phrase) -> (trusted until, common): noted by any database of this
# process (a note only chooses between two ways to the same rows).
NOTES = {}


def noted_common(column, text):
    """Whether contains(column, text) would now take the common phrase's way (a statement
    built for one way is not reused for the other: grid/core.py keeps statements)."""
    return _is_common(_fts_name(getattr(column, "expression", column)), _phrase(text))


def _is_common(fts, phrase):
    """Whether `phrase` was seen common in `fts` lately (unknown: no)."""
    note = NOTES.get((fts, phrase))
    return note is not None and note[0] > time.monotonic() and note[1]


def _note_matches(notes):
    def note_matches(fts, phrase, matches, rows):
        if len(notes) >= NOTES_KEPT:
            notes.clear()
        notes[(fts, phrase)] = (time.monotonic() + NOTE_SECONDS,
                                matches is not None and matches * matches > SCAN_RATIO * (rows or 0))
        return 1

    return note_matches


def prepare_sqlite(engine):
    """On each new SQLite connection: register poser_lower, note the FTS tables."""
    from sqlalchemy import event

    engine.dialect.poser_fts_tables = frozenset()
    notes = NOTES

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.create_function("poser_lower", 1, _lower, deterministic=True)
        # Deterministic: SQLite calls it once per statement (its arguments are constants).
        dbapi_connection.create_function("poser_note_matches", 4, _note_matches(notes), deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            names = {row[0] for row in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_fts' ESCAPE '\\' "
                "AND sql LIKE '%fts5%'")}
        finally:
            cursor.close()
        engine.dialect.poser_fts_tables = frozenset(names)
