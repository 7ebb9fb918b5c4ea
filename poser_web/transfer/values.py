"""One field of the file layout: its text read into the value the database stores, and written
back exactly (so export → import → export gives the same bytes).

Text is trimmed (as the web form does); an empty field is NULL for a nullable column, "required"
otherwise. Written: booleans `true`/`false`, numbers as digits (Numeric with its scale), dates
ISO (`2026-12-04`), date-times ISO in UTC as stored (`2026-12-04 13:05:00`), choices as stored,
foreign keys as the referenced record's key.
"""
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
# The characters the web form refuses (NUL above all); tab and line breaks are allowed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
KEY = re.compile(r"[0-9a-f]{32}")
_INTEGER = re.compile(r"[+-]?\d{1,20}")
_DECIMAL = re.compile(r"[+-]?(\d*)(?:\.(\d*))?")


class Invalid(ValueError):
    """A field's text that cannot be stored: the reason, worded for the file's author."""


def _shown(text):
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")


def format_value(spec, value):
    """The text a file holds for `value` of field `spec`."""
    if value is None:
        return ""
    kind = spec.kind
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "numeric":
        value = Decimal(value)
        return f"{value:.{spec.scale}f}" if spec.scale is not None else format(value, "f")
    if kind == "datetime":
        return value.isoformat(sep=" ")
    if kind in ("date", "integer"):
        return value.isoformat() if kind == "date" else str(int(value))
    if spec.enum_class is not None and isinstance(value, spec.enum_class):
        return value.name
    return str(value)


def parser(spec):
    """A function (text) -> stored value for field `spec`, raising Invalid."""
    read = _READERS[spec.kind]
    if read is _read:  # chosen once, not per value
        read = _key if spec.target is not None else _choice if spec.choices else _string
    name, nullable = spec.name, spec.nullable

    def parse(text):
        text = text.strip()
        if not text:
            if nullable:
                return None
            if spec.kind == "boolean":
                raise Invalid(f"{name} is required (true or false)")
            raise Invalid(f"{name} is required")
        return read(spec, text)

    if read is _string:  # most fields: the checks inline, `parse` words what is wrong
        length, control = spec.length or 0, CONTROL_CHARACTERS.search

        def parse_string(text):
            text = text.strip()
            if text and not (length and len(text) > length) and not control(text):
                return text
            return parse(text)

        return parse_string
    if read is _boolean:
        words = {word: True for word in TRUE_WORDS} | {word: False for word in FALSE_WORDS}

        def parse_boolean(text):
            found = words.get(text.strip().lower())
            return parse(text) if found is None else found

        return parse_boolean
    return parse


def _string(spec, text):
    if spec.length and len(text) > spec.length:
        raise Invalid(f"{spec.name} is too long: {len(text)} characters, at most {spec.length}")
    if CONTROL_CHARACTERS.search(text):
        raise Invalid(f"{spec.name} contains control characters that cannot be stored")
    return text


def _choice(spec, text):
    if text not in spec.choices:
        raise Invalid(f"{spec.name} must be one of {', '.join(map(str, spec.choices))}, "
                      f"not {_shown(text)}")
    return text


def _boolean(spec, text):
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(f"{spec.name} must be true or false, not {_shown(text)}")


def _within(spec, value, text):
    if spec.minimum is not None and value < spec.minimum:
        raise Invalid(f"{spec.name} must be at least {spec.minimum}, not {_shown(text)}")
    if spec.maximum is not None and value > spec.maximum:
        raise Invalid(f"{spec.name} must be at most {spec.maximum}, not {_shown(text)}")
    return value


def _integer(spec, text):
    if not _INTEGER.fullmatch(text):
        raise Invalid(f"{spec.name} must be a whole number, not {_shown(text)}")
    return _within(spec, int(text), text)


def _numeric(spec, text):
    match = _DECIMAL.fullmatch(text)
    if not match or not (match.group(1) or match.group(2)):
        raise Invalid(f"{spec.name} must be a number, not {_shown(text)}")
    whole, fraction = match.group(1).lstrip("0"), match.group(2) or ""
    scale, precision = spec.scale, spec.precision
    if scale is not None and len(fraction.rstrip("0")) > scale:
        raise Invalid(f"{spec.name} has more than {scale} digit{'s' if scale != 1 else ''} "
                      f"after the point: {_shown(text)}")
    if precision is not None and len(whole) > precision - (scale or 0):
        raise Invalid(f"{spec.name} is too large: at most {precision - (scale or 0)} digits "
                      f"before the point, not {_shown(text)}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Invalid(f"{spec.name} must be a number, not {_shown(text)}") from None
    if scale is not None:
        value = value.quantize(Decimal(1).scaleb(-scale))
    return _within(spec, value, text)


def _date(spec, text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{spec.name} must be a date written YYYY-MM-DD, not {_shown(text)}") from None


def _datetime(spec, text):
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{spec.name} must be a date and time written YYYY-MM-DD HH:MM:SS (UTC), "
                      f"not {_shown(text)}") from None
    if value.tzinfo is not None:  # stored naive in UTC
        raise Invalid(f"{spec.name}: write the time in UTC without an offset, not {_shown(text)}")
    return value


def _key(spec, text):
    if not KEY.fullmatch(text):
        raise Invalid(f"{spec.name} must be the key of a {spec.reference} (32 lowercase hex "
                      f"digits), not {_shown(text)}")
    return text


def _read(spec, text):
    if spec.target is not None:
        return _key(spec, text)
    if spec.choices:
        return _choice(spec, text)
    return _string(spec, text)


_READERS = {
    "string": _read, "text": _read, "choice": _read, "boolean": _boolean, "integer": _integer,
    "numeric": _numeric, "date": _date, "datetime": _datetime,
}
