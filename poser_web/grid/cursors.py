"""Keyset cursors of the list pages' Next / Previous links (see grids.Grid.page_query).

A cursor is base64url JSON: [sort value, key]. The JSON is typed by the sort
column: numbers (Numeric) and dates travel as strings in one fixed format,
booleans and integers as themselves, NULL as null; every value is checked
against the column's type before it can reach the SQL.
"""
import base64
import binascii
import json
import re
from datetime import date, datetime
from decimal import Decimal

from ..display.values import kind_of
from .filters import GridError

# The label under which a page query selects each row's sort value (for its cursor).
SORT_LABEL = "_grid_sort_value"


DAMAGED = "This page link is damaged; start again from the first page."
MISFIT = "This page link does not fit the list's sort; start again from the first page."
DECIMAL_TEXT = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?")


def _to_json(value, sql_type):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise TypeError("keyset paging needs naive (UTC) date-times")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "name") and getattr(sql_type, "enum_class", None) is not None:
        return value.name  # an Enum member: stored (and ordered) by its name
    return str(value)


def _from_json(value, sql_type, nullable):
    """The Python value of a cursor part for a column of `sql_type`; ValueError when it does not fit."""
    if value is None:
        if nullable:
            return None
        raise ValueError("null")
    kind = kind_of(sql_type)
    if kind == "boolean":
        if type(value) is bool:
            return value
    elif kind == "integer":
        if type(value) is int and -2**63 <= value < 2**63:
            return value
    elif kind == "numeric":
        if type(value) is str and DECIMAL_TEXT.fullmatch(value):
            number = Decimal(value)
            return number if getattr(sql_type, "asdecimal", True) else float(number)
    elif kind == "date":
        if type(value) is str and DATE_TEXT.fullmatch(value):
            return date.fromisoformat(value)
    elif kind == "datetime":
        if type(value) is str and DATETIME_TEXT.fullmatch(value):
            return datetime.fromisoformat(value)
    elif kind == "choice" and getattr(sql_type, "enum_class", None) is not None:
        if type(value) is str and value in sql_type.enum_class.__members__:
            return sql_type.enum_class[value]
    elif kind in ("string", "text", "choice") or kind is None and _python_type(sql_type) is str:
        if type(value) is str and safe_text(value):
            return value
    elif kind is None and type(value) is _python_type(sql_type) and type(value) in (int, bool):
        return value
    raise ValueError("misfit")


def _python_type(sql_type):
    try:
        return sql_type.python_type
    except (AttributeError, NotImplementedError):
        return None


def safe_text(text):
    """Text a database accepts: no NUL, no lone surrogate (it cannot be UTF-8)."""
    if "\x00" in text or len(text) > 10_000:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def encode_cursor(result_row, sort_type, key, plain=False):
    """The Next / Previous link's cursor for a row of a page_query() result (`plain`: of
    plain columns, the key first), sorted by a column of `sort_type`."""
    row_key = result_row[0] if plain else getattr(result_row[0], key.key)
    position = [_to_json(result_row._mapping[SORT_LABEL], sort_type),
                _to_json(row_key, key.type)]
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(raw, column, key):
    """(sort value, key) from a link's cursor; a GridError when it is damaged or
    does not fit the sort column (it would otherwise reach the SQL)."""
    if not raw:
        return None
    if len(raw) > 2000:
        raise GridError(DAMAGED)
    try:
        position = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, RecursionError):
        raise GridError(DAMAGED) from None
    if type(position) is not list or len(position) != 2:
        raise GridError(DAMAGED)
    try:
        value = _from_json(position[0], column.sort.type, column.sort_nullable)
        row_key = _from_json(position[1], key.type, False)
    except (ValueError, OverflowError):
        raise GridError(MISFIT) from None
    if isinstance(row_key, str) and len(row_key) > 64:
        raise GridError(MISFIT)
    return value, row_key
