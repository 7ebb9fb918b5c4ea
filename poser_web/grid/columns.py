"""What a list page shows and searches: its columns and search terms, declared once per grid."""
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..db.search import contains, noted_common
from ..display.values import kind_of


@dataclass(frozen=True)
class Column:
    """One column of a list page.

    `sort` is the SQL expression to order by (None: not sortable). `link`
    is "view" (the row's own page) or a function (request, row) -> URL.
    `value` is an SQL expression computed in the row query itself (e.g. a
    correlated count): it is selected beside the shown rows only, so the
    page costs no extra statement; without it the cell is the attribute
    named by `key` ("widget.description" follows the relationship).
    """

    key: str
    label: str = ""  # default: from the key ("checked_at" -> "Checked At")
    sort: Any = None
    link: Any = None
    value: Any = None
    numeric: bool = False
    # The SQLAlchemy type of the cell values: decides their format, alignment and
    # export cell (default: the type of `value`, else of `sort`).
    type: Any = None
    nullable: Any = None  # whether the sort value can be NULL (default: from the sort column)
    choices: tuple = ()  # (stored value, label) pairs of a choice column
    # A relationship (usually `.of_type(alias)`) joined into the list query and
    # loaded with the rows: the cell is then that related record (see `related`).
    join: Any = None
    related: Any = None  # the related model when the cell is a record (its label, linked)

    def __post_init__(self):
        if not self.label:
            words = self.key.replace(".", " ").replace("_", " ").split()
            object.__setattr__(self, "label", " ".join(w.capitalize() for w in words))
        if self.type is None:
            source = self.value if self.value is not None else self.sort
            object.__setattr__(self, "type", getattr(source, "type", None))
        if not self.numeric and self.related is None and kind_of(self.type) in ("integer", "numeric"):
            object.__setattr__(self, "numeric", True)

    @property
    def sort_nullable(self):
        """Whether NULL sort values must be ordered and paged past explicitly."""
        if self.nullable is not None:
            return self.nullable
        return getattr(self.sort, "nullable", True) is not False


@dataclass(frozen=True)
class Contains:
    """Search: `column` contains the text (case-insensitive, wildcards escaped)."""

    column: Any

    def clause(self, text):
        return contains(self.column, text)

    def noted(self, text):
        """What the clause depends on beyond `text` (see Grid.statement)."""
        return noted_common(self.column, text)


class KeyInSelect(ColumnElement):
    """`key IN (SELECT ...)`, written `key = ANY(ARRAY(SELECT ...))` on PostgreSQL.

    PostgreSQL cannot OR an IN-subquery with other indexed conditions (it falls
    back to reading the whole table); with ANY(ARRAY(...)) the subquery runs
    once and its keys join the other conditions in one bitmap index scan.
    """

    type = Boolean()
    inherit_cache = True  # cached by its key and subquery
    _traverse_internals = [("key", InternalTraversal.dp_clauseelement),
                           ("subquery", InternalTraversal.dp_clauseelement)]
    _is_implicitly_boolean = True  # no "= 1" after it on SQLite: the planner could not use the IN

    def __init__(self, key, subquery):
        self.key = key
        self.subquery = subquery


@compiles(KeyInSelect)
def _key_in_select(element, compiler, **kw):
    return compiler.process(element.key.in_(element.subquery), **kw)


@compiles(KeyInSelect, "postgresql")
def _key_in_select_postgresql(element, compiler, **kw):
    key = compiler.process(element.key, **kw)
    return f"{key} = ANY(ARRAY({compiler.process(element.subquery, **kw)}))"


@dataclass(frozen=True)
class RelatedContains:
    """Search: some row of `relationship` has `column` containing the text.

    The related keys are selected once (a trigram index serves it on
    PostgreSQL), not with a correlated EXISTS per parent row.
    """

    relationship: Any
    column: Any

    def noted(self, text):
        return None  # scan=False: always the index

    def clause(self, text):
        local, remote = self.relationship.property.local_remote_pairs[0]
        return KeyInSelect(local, select(remote).where(contains(self.column, text, scan=False)))


def dotted_value(row, key):
    """`row.widget.description` for the key "widget.description"."""
    value = row
    for part in key.split("."):
        value = getattr(value, part, None)
    return value
