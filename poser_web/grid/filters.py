"""List-page filters, one kind per column type (as Rattail's grids offer them).

No HTTP here. Each filter reads its own query parameters, validates them
(a GridError with a message for the user when it cannot), narrows the
list's query and writes the parameters back for links. The URL scheme:

    <key>=<value>        the value (repeated for "any of"; yes/no for a boolean)
    <key>.op=<operator>  contains, equals, empty, between, min, max, any, is
                         (default: the filter's first operator)
    <key>.to=<value>     the upper end of "between"

e.g. `?weight.op=between&weight=1&weight.to=2.5&color=red&color=blue&active=yes`.
A filter whose value is blank (and operator is not "empty") is off.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, or_, select

from ..db.search import contains
from ..display.labels import title_of


class GridError(ValueError):
    """A list-page parameter that cannot be honoured; the message is for the user."""


MAX_TEXT = 200

OPERATORS = {
    "contains": "contains", "equals": "equals", "empty": "is empty", "between": "between",
    "min": "at least", "max": "at most", "any": "any of", "is": "is",
}


@dataclass(frozen=True)
class Criterion:
    """One filter's validated request: the operator, its values, and the text typed (shown again)."""

    op: str
    value: Any = None
    to: Any = None
    text: str = ""
    text_to: str = ""
    values: tuple = ()  # "any of": the chosen values; `texts` as typed
    texts: tuple = ()


def _get(params, name):
    value = params.get(name)
    return value.strip() if isinstance(value, str) else ""


def _getall(params, name):
    if hasattr(params, "getall"):
        return [v.strip() for v in params.getall(name) if isinstance(v, str)]
    value = params.get(name)
    if isinstance(value, (list, tuple)):
        return [v.strip() for v in value]
    return [value.strip()] if isinstance(value, str) else []


def checked_text(label, raw):
    """`raw` when a database can store it; a GridError otherwise."""
    if len(raw) > MAX_TEXT:
        raise GridError(f"The {label} filter is limited to {MAX_TEXT} characters.")
    if "\x00" in raw:
        raise GridError(f"The {label} filter cannot contain a NUL character.")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise GridError(f"The {label} filter holds text that is not valid Unicode.") from None
    return raw


class FieldFilter:
    """A filter on one column with operators; subclasses say which and how values read."""

    widget = "text"  # how the list page shows it: text, range, choice, boolean, record
    operators = ("equals",)
    input_type = "text"

    def __init__(self, key, label, column, nullable=None):
        self.key, self.label, self.column = key, label, column
        self.nullable = getattr(column, "nullable", True) if nullable is None else nullable
        if not self.nullable:
            self.operators = tuple(op for op in self.operators if op != "empty")

    @property
    def operator_choices(self):
        return [(op, OPERATORS[op]) for op in self.operators]

    def convert(self, raw):
        return checked_text(self.label, raw)

    def parse(self, params):
        """A Criterion, or None when the filter is off."""
        op = _get(params, f"{self.key}.op")
        text, text_to = _get(params, self.key), _get(params, f"{self.key}.to")
        if op and op not in self.operators:
            names = ", ".join(self.operators)
            raise GridError(f"The {self.label} filter's operator must be one of {names}, not {op!r}.")
        op = op or self.operators[0]
        if op == "empty":
            return Criterion("empty")
        if op == "between":
            if not text and not text_to:
                return None
            if not (text and text_to):
                raise GridError(f"The {self.label} filter “between” needs both ends.")
            low, high = self.convert(text), self.convert(text_to)
            if low > high:
                raise GridError(f"The {self.label} filter “between” runs from {text} to {text_to}: "
                                "the first must not be larger.")
            return Criterion(op, low, high, text, text_to)
        if not text:
            return None
        return Criterion(op, self.convert(text), text=text)

    def params(self, criterion):
        op = "" if criterion.op == self.operators[0] else criterion.op
        params = {f"{self.key}.op": op, self.key: criterion.text}
        if criterion.op == "between":
            params[f"{self.key}.to"] = criterion.text_to
        return {k: v for k, v in params.items() if v}

    def apply(self, query, criterion):
        return query.where(self.clause(criterion))

    def clause(self, criterion):
        column, op = self.column, criterion.op
        if op == "empty":
            return column.is_(None)
        if op == "between":
            return column.between(criterion.value, criterion.to)
        if op == "min":
            return column >= criterion.value
        if op == "max":
            return column <= criterion.value
        return column == criterion.value


class TextFilter(FieldFilter):
    """contains (case-insensitive, wildcards literal) / equals / is empty."""

    operators = ("contains", "equals", "empty")

    def clause(self, criterion):
        if criterion.op == "contains":  # as search means it: any case, non-ASCII letters too
            return contains(self.column, criterion.value)
        if criterion.op == "empty":
            return or_(self.column.is_(None), self.column == "")
        return super().clause(criterion)


class RangeFilter(FieldFilter):
    """equals / between / at least / at most / is empty, on numbers or dates."""

    widget = "range"
    operators = ("equals", "between", "min", "max", "empty")


INTEGER_TEXT = re.compile(r"[-+]?[0-9]{1,19}")
DECIMAL_TEXT = re.compile(r"[-+]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IntegerFilter(RangeFilter):
    input_type = "number"

    def convert(self, raw):
        if INTEGER_TEXT.fullmatch(raw) and -2**63 <= int(raw) < 2**63:
            return int(raw)
        raise GridError(f"The {self.label} filter needs a whole number, not {raw!r}.")


class NumberFilter(RangeFilter):
    input_type = "text"  # "number" inputs refuse decimals without a step; inputmode says it

    def convert(self, raw):
        if DECIMAL_TEXT.fullmatch(raw):
            return Decimal(raw)
        raise GridError(f"The {self.label} filter needs a number such as 12.5, not {raw!r}.")


class DateFilter(RangeFilter):
    input_type = "date"

    def convert(self, raw):
        if DATE_TEXT.fullmatch(raw):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
        raise GridError(f"The {self.label} filter needs a date written YYYY-MM-DD, not {raw!r}.")


class DateTimeFilter(DateFilter):
    """Days in the display time zone, over date-times stored in UTC."""

    def __init__(self, key, label, column, nullable=None, zone=timezone.utc):
        super().__init__(key, label, column, nullable)
        self.zone = zone

    def _start(self, day):
        """The UTC (naive) instant the day starts in the display zone."""
        start = datetime.combine(day, time(), tzinfo=self.zone).astimezone(timezone.utc)
        return start.replace(tzinfo=None)

    def clause(self, criterion):
        column, op = self.column, criterion.op
        if op == "empty":
            return column.is_(None)
        if op == "between":
            low, high = criterion.value, criterion.to
        else:
            low = high = criterion.value
        conditions = []
        if op in ("equals", "between", "min"):
            conditions.append(column >= self._start(low))
        if op in ("equals", "between", "max"):
            conditions.append(column < self._start(high + timedelta(days=1)))
        return conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]


class ChoiceFilter(FieldFilter):
    """any of the declared choices / is empty."""

    widget = "choice"
    operators = ("any", "empty")

    def __init__(self, key, label, column, choices, nullable=None):
        super().__init__(key, label, column, nullable)
        # URL text -> stored value: an Enum member travels by its name.
        self.choices = tuple(choices)  # (stored value, label)
        self.by_text = {self.text_of(value): value for value, _ in self.choices}

    @staticmethod
    def text_of(value):
        return value.name if hasattr(value, "name") and hasattr(value, "value") else str(value)

    @property
    def options(self):
        return [(self.text_of(value), label) for value, label in self.choices]

    def parse(self, params):
        op = _get(params, f"{self.key}.op") or "any"
        if op not in self.operators:
            names = ", ".join(self.operators)
            raise GridError(f"The {self.label} filter's operator must be one of {names}, not {op!r}.")
        if op == "empty":
            return Criterion("empty")
        texts = tuple(dict.fromkeys(t for t in _getall(params, self.key) if t))
        if not texts:
            return None
        unknown = [t for t in texts if t not in self.by_text]
        if unknown:
            names = ", ".join(self.by_text)
            raise GridError(f"The {self.label} filter must be among {names}, not {unknown[0][:50]!r}.")
        return Criterion("any", values=tuple(self.by_text[t] for t in texts), texts=texts)

    def params(self, criterion):
        if criterion.op == "empty":
            return {f"{self.key}.op": "empty"}
        return {self.key: list(criterion.texts)}

    def clause(self, criterion):
        if criterion.op == "empty":
            return self.column.is_(None)
        return self.column.in_(criterion.values)


class BooleanFilter(FieldFilter):
    """yes / no (and "is empty" for a nullable column): `?active=yes`."""

    widget = "boolean"
    operators = ("is", "empty")
    choices = (("", "Any"), ("yes", "Yes"), ("no", "No"))

    def __init__(self, key, label, column, nullable=None):
        super().__init__(key, label, column, nullable)
        if self.nullable:
            self.choices = self.choices + (("empty", "Empty"),)

    def parse(self, params):
        raw, op = _get(params, self.key), _get(params, f"{self.key}.op")
        if op and op not in self.operators:
            names = ", ".join(self.operators)
            raise GridError(f"The {self.label} filter's operator must be one of {names}, not {op[:50]!r}.")
        if op == "empty":
            raw = "empty"
        if raw == "":
            return None
        if raw not in ("yes", "no") and not (raw == "empty" and self.nullable):
            allowed = "yes, no, empty or blank" if self.nullable else "yes, no or empty"
            raise GridError(f"{self.label} filter must be {allowed}, not {raw[:50]!r}.")
        return Criterion("empty" if raw == "empty" else "is", value=raw == "yes", text=raw)

    def params(self, criterion):
        return {self.key: criterion.text}

    def clause(self, criterion):
        if criterion.op == "empty":
            return self.column.is_(None)
        return self.column.is_(criterion.value)


# Widget and Component pages (and older declarations) name it so.
YesNoFilter = BooleanFilter


class RecordFilter(FieldFilter):
    """is this record (by key) / is empty, on a foreign key column."""

    widget = "record"
    operators = ("is", "empty")
    OPTION_LIMIT = 100  # more related records than this: the key is typed, not picked

    def __init__(self, key, label, column, related, label_column=None, nullable=None):
        super().__init__(key, label, column, nullable)
        self.related = related  # the related model
        self.remote_key = next(iter(column.foreign_keys)).column if column.foreign_keys else None
        self.label_column = label_column

    def convert(self, raw):
        raw = checked_text(self.label, raw)
        if len(raw) > 64:
            raise GridError(f"The {self.label} filter needs a record's key, not {raw[:50]!r}…")
        if self.remote_key is not None and self.remote_key.type.python_type is int:
            try:
                return int(raw)
            except ValueError:
                raise GridError(f"The {self.label} filter needs a record's key, not {raw!r}.") from None
        return raw

    def record(self, session, criterion):
        """The record an "is" criterion names, or None."""
        if criterion.op != "is":
            return None
        key = inspect(self.related).primary_key
        if len(key) == 1 and self.remote_key is not None and self.remote_key is key[0]:
            return session.get(self.related, criterion.value)  # kept for the page's label too
        return session.scalars(select(self.related).where(
            self.remote_key == criterion.value).limit(1)).first()

    def verify(self, session, criterion):
        if criterion.op == "is" and self.record(session, criterion) is None:
            what = title_of(self.related).lower()
            raise GridError(f"The {self.label} filter names no {what} (it may have been "
                            f"deleted): {criterion.text[:50]!r}.")

    def options_query(self):
        """(key, record) of the first related records by label, one more than shown."""
        key = inspect(self.related).primary_key[0]
        query = select(self.related)
        if self.label_column is not None:
            query = query.order_by(self.label_column, key)
        else:
            query = query.order_by(key)
        return query.limit(self.OPTION_LIMIT + 1)
