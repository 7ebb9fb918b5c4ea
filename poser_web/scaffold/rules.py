"""A field's rules in the scaffold's spec: `unique`, a range (`0..10`, `>=0`, `<=5`) and a
default (`= VALUE`), each checked against the field's type before anything is written."""
import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .names import SpecError

NUMBER = r"-?\d+(?:\.\d+)?"
RANGE = re.compile(rf"^(?P<low>{NUMBER})\.\.(?P<high>{NUMBER})$")
BOUND = re.compile(rf"^(?P<op>>=|<=)(?P<value>{NUMBER})?$")
USAGE = "write unique, a range (0..10, >=0, <=5) or a default (= VALUE)"


def apply_rules(field, tokens):
    """Set `field`'s unique, range and default from the tokens written after it."""
    while tokens:
        token = tokens.pop(0)
        if token == "unique":
            field.unique = True
        elif token in (">=", "<=") or BOUND.match(token) or RANGE.match(token):
            if BOUND.match(token) and not BOUND.match(token)["value"]:
                token += tokens.pop(0) if tokens else ""
            _range(field, token)
        elif token.startswith("="):
            text = token[1:] or (tokens.pop(0) if tokens else "")
            _default(field, text)
        else:
            raise SpecError(f"field {field.spec!r}: {token!r} is not a rule; {USAGE}")
    if field.ranged and field.default is not None:
        _check_in_range(field, field.default, "the default")


def _range(field, token):
    if field.kind not in ("int", "numeric"):
        raise SpecError(f"field {field.spec!r}: a range is for int and numeric fields")
    match = RANGE.match(token)
    if match:
        low, high = _number(field, match["low"]), _number(field, match["high"])
        if low > high:
            raise SpecError(f"field {field.spec!r}: the range {token} runs backwards")
        field.minimum, field.maximum = low, high
        return
    match = BOUND.match(token)
    if match is None or match["value"] is None:
        raise SpecError(f"field {field.spec!r}: {token!r}: write a range as 0..10, >=0 or <=5")
    if match["op"] == ">=":
        field.minimum = _number(field, match["value"])
    else:
        field.maximum = _number(field, match["value"])


def _number(field, text):
    """`text` as the field's number: a whole number for int, within numeric(P,S)'s digits."""
    if field.kind == "int":
        if not re.fullmatch(r"-?\d+", text) or not -2**31 <= int(text) < 2**31:
            raise SpecError(f"field {field.spec!r}: {text} is not a whole number an int holds")
        return int(text)
    value = Decimal(text)
    whole, _, fraction = text.lstrip("-").partition(".")
    if len(fraction.rstrip("0")) > field.scale or \
            len(whole.lstrip("0")) > field.precision - field.scale:
        raise SpecError(f"field {field.spec!r}: {text} does not fit numeric({field.precision},"
                        f"{field.scale})")
    return value.quantize(Decimal(1).scaleb(-field.scale)) if field.scale else value


def _check_in_range(field, value, what):
    if (field.minimum is not None and value < field.minimum) or \
            (field.maximum is not None and value > field.maximum):
        raise SpecError(f"field {field.spec!r}: {what} {value} is outside the range")


def _default(field, text):
    """The default's value and its Python source in the model."""
    if not text:
        raise SpecError(f"field {field.spec!r}: write the default after =, e.g. = 0")
    quoted = len(text) >= 2 and text[0] == text[-1] == '"'
    value = text[1:-1] if quoted else text
    kind = field.kind
    if kind == "fk":
        raise SpecError(f"field {field.spec!r}: a foreign key takes no default")
    if kind in ("str", "text", "choice"):
        if kind == "str" and len(value) > field.length:
            raise SpecError(f"field {field.spec!r}: the default is longer than {field.length}")
        if kind == "choice" and value not in field.choices:
            raise SpecError(f"field {field.spec!r}: the default {value!r} is not one of the "
                            f"choices ({', '.join(field.choices)})")
        field.default, field.default_code = value, json.dumps(value, ensure_ascii=False)
    elif kind == "bool":
        if value.lower() not in ("true", "false") or field.nullable:
            raise SpecError(f"field {field.spec!r}: a bool's default is true or false, and a "
                            "field that may be empty has none")
        field.default = value.lower() == "true"
    elif kind in ("int", "numeric"):
        try:
            field.default = _number(field, value)
        except InvalidOperation:
            raise SpecError(f"field {field.spec!r}: the default {value!r} is not a number") from None
        field.default_code = (str(field.default) if kind == "int"
                              else f'Decimal("{field.default}")')
    else:
        field.default, field.default_code = _moment(field, value)


def _moment(field, value):
    """A date's or datetime's default: today / now (when the record is made), or a literal."""
    if field.kind == "date":
        if value == "today":
            return "today", "date.today"
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise SpecError(f"field {field.spec!r}: a date's default is today or YYYY-MM-DD") from None
        return day, f"date({day.year}, {day.month}, {day.day})"
    if value == "now":
        return "now", "utcnow"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SpecError(f"field {field.spec!r}: a datetime's default is now or "
                        "YYYY-MM-DDTHH:MM (UTC)") from None
    parts = [moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second]
    return moment, f"datetime({', '.join(str(p) for p in parts)})"
