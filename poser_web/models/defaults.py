"""What a new record gets for a column it is not given: its `default` or `server_default` read
as a Python value, so the create form can preselect it (forms/derive.py). No HTTP here."""
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import types
from sqlalchemy.sql.elements import False_, True_

_NOW = {"now", "current_timestamp", "localtimestamp", "getdate"}
_TODAY = {"current_date"}


def declared_default(column):
    """The value a new record gets for `column` when none is given: its `default` (a value,
    or a function of no arguments called now), else its `server_default` read as the
    column's type; None when there is none or it cannot be known beforehand."""
    default = column.default
    if default is not None:
        if default.is_scalar:
            return default.arg
        if default.is_callable:
            try:
                return default.arg(None)
            except Exception:  # it needs the insert's context: not known beforehand
                return None
        return _from_sql(column, default.arg)
    if column.server_default is not None and hasattr(column.server_default, "arg"):
        return _from_sql(column, column.server_default.arg)
    return None


def _from_sql(column, arg):
    """A server default (text, a quoted literal, true(), now()) as a Python value of the column."""
    if isinstance(arg, (True_, False_)):
        return isinstance(arg, True_)
    name = getattr(arg, "name", None)  # a function: func.now(), func.current_date()
    text = name if isinstance(name, str) else getattr(arg, "text", arg)
    if not isinstance(text, str):
        return None
    text = text.strip()
    moment = text.lower().removesuffix("()")
    if moment in _NOW | _TODAY:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        return now if moment in _NOW and isinstance(column.type, types.DateTime) else now.date()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    try:
        if isinstance(column.type, types.Boolean):
            return text.lower() in ("1", "true", "t", "yes")
        if isinstance(column.type, types.Integer):
            return int(text)
        if isinstance(column.type, types.Numeric):
            return Decimal(text)
        if isinstance(column.type, types.DateTime):
            return datetime.fromisoformat(text)
        if isinstance(column.type, types.Date):
            return date.fromisoformat(text)
    except (ValueError, ArithmeticError):
        return None
    return text
