"""What the database refused, said to people.

`explain(error, model)` turns an IntegrityError that got past the checks before the
write (rules.py) — a constraint written by hand, two saves racing for one key — into
the rule it broke, the fields involved and a message naming them. `referrers(...)`
finds the records that still refer to records being deleted (the foreign keys of every
mapped table), for a message naming them. Both work on SQLite and PostgreSQL. No HTTP
here.
"""
import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import CheckConstraint, PrimaryKeyConstraint, func, inspect, select
from sqlalchemy.exc import NoReferenceError
from sqlalchemy.orm import DeclarativeBase, Session

from ..display.labels import field_label, label_column, model_title, plural
from .rules import bounds, range_text, unique_keys

# SQLite names what failed in the message; PostgreSQL in the error's diagnostics.
_SQLITE = re.compile(r"(UNIQUE|CHECK|NOT NULL|FOREIGN KEY) constraint failed(?::\s*(.*))?", re.S)
_SQLSTATE = {"23505": "unique", "23514": "check", "23502": "not_null", "23503": "foreign_key"}
REFERRERS_SHOWN = 5


@dataclass(frozen=True)
class Violation:
    """A refused write: `kind` (unique, check, not_null, foreign_key, other), the
    constraint's name when known, the model's attribute keys involved, and the message."""

    kind: str
    constraint: str | None
    keys: tuple
    message: str


def explain(error, model):
    """The Violation an IntegrityError of a write to `model`'s table stands for."""
    kind, constraint, names = _parse(error)
    table = model.__table__
    keys = _keys(model, constraint, names)
    title = model_title(model).lower()
    fields = " and ".join(field_label(model, k).lower() for k in keys)
    if kind == "unique":
        message = (f"Another {title} has this {fields} already." if keys else
                   f"Another {title} has these values already ({constraint}).")
    elif kind == "check":
        range_of = _range_column(table, constraint)
        if range_of is not None:
            message = f"Out of range: enter a number {range_text(range_of)}."
        else:
            rule = constraint or "a rule of the table"
            message = (f"The database refused this {fields or title}: it breaks the rule {rule}.")
    elif kind == "not_null":
        message = f"{field_label(model, keys[0])} is required." if keys else \
            "A required value is missing."
    elif kind == "foreign_key":
        message = (f"The {fields} it refers to does not exist (any more); choose another." if keys
                   else "It refers to a record that does not exist, or is still referred to.")
    else:
        message = f"The database refused the change: {_first_line(error)}"
    return Violation(kind, constraint, keys, message)


@cache  # a model's constraints do not change while the app runs
def refusable_keys(model):
    """Keys of the model's columns whose changed value the database may refuse (IntegrityError):
    those in a unique constraint or index (partial ones too), a foreign key or a CHECK
    constraint; all of them when one covers an expression. The models' constraints are the
    database's (`alembic check`, db/check_constraints.py). NOT NULL is the caller's: a None."""
    by_name = {attr.columns[0].name: attr.key for attr in inspect(model).column_attrs}
    table = model.__table__
    names = set()
    for item in list(table.constraints) + list(table.indexes):
        if isinstance(item, CheckConstraint):
            names.update(_words(str(item.sqltext)))
        elif isinstance(item, PrimaryKeyConstraint) or not getattr(item, "unique", True):
            continue  # a key never changes here; a plain index refuses nothing
        elif len(getattr(item, "expressions", item.columns)) != len(item.columns):
            return frozenset(by_name.values())  # an expression index: any column may be in it
        else:
            names.update(column.name for column in item.columns)
    names.update(column.name for column in table.columns if column.foreign_keys)
    return frozenset(by_name[name] for name in names if name in by_name)


@cache
def _required(model):
    """Keys of the model's NOT NULL columns."""
    return frozenset(c.key for c in inspect(model).column_attrs if not c.columns[0].nullable)


_UNLOADED = object()


def refusable_change(record, name, value):
    """Whether setting column `name` of a stored `record` to `value` could be refused: a None
    for a NOT NULL column, or a new value in a column a constraint covers (refusable_keys)."""
    if value is None and name in _required(type(record)):
        return True
    if name not in refusable_keys(type(record)):
        return False
    return record.__dict__.get(name, _UNLOADED) != value


def _first_line(error):
    return str(getattr(error, "orig", error)).strip().splitlines()[0][:300]


def _parse(error):
    """(kind, constraint name or None, column names) from the driver's error."""
    orig = getattr(error, "orig", error)
    diag = getattr(orig, "diag", None)
    state = getattr(orig, "sqlstate", None)
    if state in _SQLSTATE:  # PostgreSQL (psycopg)
        names = (diag.column_name,) if diag is not None and diag.column_name else ()
        return _SQLSTATE[state], getattr(diag, "constraint_name", None), names
    match = _SQLITE.search(str(orig))
    if match is None:
        return "other", None, ()
    kind = match.group(1).lower().replace(" ", "_")
    detail = (match.group(2) or "").strip()
    if kind in ("unique", "not_null"):  # "t.a, t.b"
        return kind, None, tuple(part.rsplit(".", 1)[-1].strip() for part in detail.split(","))
    if kind == "check":  # its name, or the expression of an unnamed one
        named = re.fullmatch(r"\w+", detail)
        return kind, detail if named else None, () if named else _words(detail)
    return kind, None, ()


def _words(text):
    return tuple(re.findall(r"[A-Za-z_]\w*", text))


def _keys(model, constraint, names):
    """Attribute keys of the model's columns a constraint (by name) or column names cover."""
    by_name = {attr.columns[0].name: attr.key for attr in inspect(model).column_attrs}
    table = model.__table__
    if constraint:
        for key in unique_keys(model):
            if key.name == constraint:
                return key.keys
        for item in list(table.constraints) + list(table.indexes):
            if str(item.name) == constraint:
                columns = [c.name for c in getattr(item, "columns", ())]
                if not columns and isinstance(item, CheckConstraint):
                    columns = _words(str(item.sqltext))
                return tuple(dict.fromkeys(by_name[c] for c in columns if c in by_name))
    return tuple(dict.fromkeys(by_name[n] for n in names if n in by_name))


def _range_column(table, constraint):
    for item in table.constraints:
        if isinstance(item, CheckConstraint) and str(item.name) == constraint \
                and item.info.get("range_of"):
            column = table.columns[item.info["range_of"]]
            return column if any(b is not None for b in bounds(column)) else None
    return None


# -- records still referring to ones being deleted -----------------------------------------


@dataclass
class Referrers:
    """The rows of one table that refer to the records being deleted."""

    model: type  # the referring model
    count: int
    records: list  # the first REFERRERS_SHOWN of them, by label

    @property
    def title_plural(self):
        return plural(model_title(self.model)).lower()


def referrers(session, model, keys, shown=REFERRERS_SHOWN, _seen=()):
    """[Referrers] of the rows of `model` whose primary keys are `keys` (a list, or a
    select of them): every mapped table with a foreign key to it that the database would
    not cascade or clear — and to the child rows the ORM deletes with them."""
    target = model.__table__
    [pk] = inspect(model).primary_key
    chosen = select(pk).where(pk.in_(keys)) if isinstance(keys, (list, tuple)) else keys
    own = _cascaded_children(model)
    found = []
    for other in _mapped_models():
        for fk in other.__table__.foreign_keys:
            if not _refers_to(fk, target) or (fk.ondelete or "").upper() in (
                    "CASCADE", "SET NULL", "SET DEFAULT") or (other, fk.parent) in own:
                continue
            condition = fk.parent.in_(select(fk.column).where(pk.in_(chosen)))
            entry = _referring(session, other, condition, shown)
            if entry is not None:
                found.append(entry)
    for child, column in sorted(own, key=lambda pair: pair[0].__table__.name):
        if child in _seen or child is model:
            continue  # a tree of one table: its own foreign keys are checked above
        [child_pk] = inspect(child).primary_key
        found += referrers(session, child, select(child_pk).where(column.in_(chosen)), shown,
                           (*_seen, model))
    return found


def _referring(session, model, condition, shown):
    """Referrers of `model` meeting `condition`, or None when there are none."""
    with session.no_autoflush:
        count = session.scalar(select(func.count()).select_from(model).where(condition))
        if not count:
            return None
        order = label_column(model)
        records = session.scalars(select(model).where(condition).order_by(
            order if order is not None else inspect(model).primary_key[0]).limit(shown)).all()
    return Referrers(model, count, list(records))


def referrers_text(found, labels=None):
    """"Still used by 2 specimens (“A”, “B”) and 1 gizmo (“C”)." for people."""
    from ..display.labels import label_of

    labels = labels or label_of
    parts = []
    for entry in found:
        title = model_title(entry.model).lower() if entry.count == 1 else entry.title_plural
        names = ", ".join(f"“{labels(r)}”" for r in entry.records)
        left = entry.count - len(entry.records)
        more = f" and {left:,} more" if left > 0 else ""
        parts.append(f"{entry.count:,} {title} ({names}{more})")
    return "Still used by " + " and ".join(parts) + "."


def write_refused(connection, table, deleted_keys, error):
    """What a bulk write to `table` that the database refused broke, for people: the
    records still referring to those it was deleting (`deleted_keys`: their primary keys,
    a list or a select), else the rule and the field."""
    model = model_of(table)
    if model is None:
        return f"The database refused the change: {_first_line(error)}"
    violation = explain(error, model)
    if violation.kind == "foreign_key":
        with Session(bind=connection) as session:
            found = referrers(session, model, deleted_keys)
            if found:
                return (f"{plural(model_title(model))} that others refer to cannot be deleted. "
                        f"{referrers_text(found)} Change or delete those first.")
    return violation.message


def model_of(table):
    """The mapped class of `table`, or None."""
    return next((m for m in _mapped_models() if m.__table__ is table), None)


def _refers_to(fk, table):
    try:
        return fk.column.table is table
    except NoReferenceError:  # a foreign key of another metadata this one cannot resolve
        return False


def _cascaded_children(model):
    """(child model, its foreign key column) the ORM deletes along with a `model` record."""
    children = set()
    for relationship in inspect(model).relationships:
        if relationship.cascade.delete and relationship.direction.name == "ONETOMANY":
            for column in relationship.remote_side:
                children.add((relationship.mapper.class_, column))
    return children


def _mapped_models():
    """Every mapped class with a table, across every declarative base, each table once."""
    seen, pending, models = set(), list(DeclarativeBase.__subclasses__()), []
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        table = cls.__dict__.get("__table__")
        if table is not None and table not in seen:
            seen.add(table)
            models.append(cls)
    return sorted(models, key=lambda m: m.__table__.name)
