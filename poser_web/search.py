"""Search clauses: "this column contains the text", ignoring case, on any database.

`contains(column, text)` is what the list pages' search (grids.Contains,
grids.RelatedContains) puts in the WHERE clause. It means the same on every
database — case-insensitive containment (non-ASCII letters too), `%` and `_`
taken literally, one- and two-character texts included — and is served by the
column's search index when it has one (poser_web/search_index.py):

* PostgreSQL: `column ILIKE '%text%'` (a pg_trgm GIN index serves it).
* SQLite, text of 3+ characters and an FTS5 trigram table for the column:
  `rowid IN (SELECT rowid FROM <fts> WHERE <fts> MATCH '"text"')`. FTS5's
  trigram tokenizer folds case (Unicode, not only ASCII) and matches a quoted
  phrase as a substring.
* SQLite otherwise (1-2 characters, which trigrams cannot index, or no FTS
  table): a LIKE scan. SQLite's LIKE folds ASCII only, so a text with other
  letters compares both sides through Python's str.lower (`poser_lower`,
  registered on every connection by `prepare_sqlite`).

Which FTS tables exist is read from sqlite_master whenever a connection opens
(no statement per request) and kept on the engine's dialect.
"""
from sqlalchemy import Boolean, bindparam, func, literal_column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnClause, ColumnElement

from .search_index import fts_table_name

# FTS5 trigrams index three characters: shorter texts are scanned for.
TRIGRAM = 3
ESCAPE = "/"


def contains(column, text):
    """WHERE clause: `column` contains `text`, ignoring case (see the module doc)."""
    return Contains(column, text)


class Contains(ColumnElement):
    type = Boolean()
    inherit_cache = False  # compiled per statement: the SQL depends on the text's length
    _is_implicitly_boolean = True  # no "= 1" after it on SQLite: the planner could not use the IN

    def __init__(self, column, text):
        self.column = getattr(column, "expression", column)  # an ORM attribute's Column
        self.text = text


@compiles(Contains)
def _contains_default(element, compiler, **kw):
    return compiler.process(element.column.icontains(element.text, autoescape=True), **kw)


@compiles(Contains, "sqlite")
def _contains_sqlite(element, compiler, **kw):
    column, text = element.column, element.text
    fts = _fts_table(compiler.dialect, column)
    if fts is not None and len(text) >= TRIGRAM:
        phrase = '"' + text.replace('"', '""') + '"'
        matches = (select(literal_column("rowid")).select_from(table(fts))
                   .where(literal_column(fts).op("MATCH")(bindparam("fts_phrase", phrase, unique=True))))
        rowid = ColumnClause("rowid", _selectable=column.table)
        return compiler.process(rowid.in_(matches), **kw)
    pattern = "%" + _escape_like(text.lower()) + "%"
    if text.isascii():
        clause = column.like(pattern, escape=ESCAPE)  # SQLite's LIKE folds ASCII itself
    else:
        clause = func.poser_lower(column).like(pattern, escape=ESCAPE)
    return compiler.process(clause, **kw)


def _escape_like(text):
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def _fts_table(dialect, column):
    """The FTS5 table indexing `column` on this engine's database, or None."""
    source = getattr(column, "table", None)
    name = getattr(getattr(source, "element", source), "name", None)  # through an alias
    if name is None:
        return None
    fts = fts_table_name(name, column.name)
    return fts if fts in getattr(dialect, "poser_fts_tables", ()) else None


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def prepare_sqlite(engine):
    """On each new SQLite connection: register poser_lower, note the FTS tables."""
    from sqlalchemy import event

    engine.dialect.poser_fts_tables = frozenset()

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.create_function("poser_lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            names = {row[0] for row in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_fts' ESCAPE '\\' "
                "AND sql LIKE '%fts5%'")}
        finally:
            cursor.close()
        engine.dialect.poser_fts_tables = frozenset(names)
