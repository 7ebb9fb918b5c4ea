"""Colander types whose limits mirror the database's: what a column can store, a form accepts.

Each refuses what the column could not hold with a message a person can act
on (never a database error, never silent rounding).
"""
import re
from datetime import date, datetime, timezone
from decimal import Decimal, localcontext

import colander

from . import StrippedString

_WHOLE = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(:\d{2})?)$")


def _text(node, cstruct):
    """The submitted text, trimmed; None when blank."""
    if cstruct is colander.null or cstruct is None:
        return None
    if not isinstance(cstruct, str):
        raise colander.Invalid(node, "Expected text.")
    return cstruct.strip() or None


class WholeNumber(colander.SchemaType):
    """An integer between `minimum` and `maximum` (the column type's range)."""

    def __init__(self, minimum, maximum):
        self.minimum, self.maximum = minimum, maximum

    def serialize(self, node, appstruct):
        return colander.null if appstruct in (colander.null, None) else str(appstruct)

    def deserialize(self, node, cstruct):
        text = _text(node, cstruct)
        if text is None:
            return colander.null
        if not _WHOLE.match(text):
            raise colander.Invalid(node, "Enter a whole number, like 42.")
        value = int(text)
        if not self.minimum <= value <= self.maximum:
            raise colander.Invalid(
                node, f"Out of range: enter a number from {self.minimum:,} to {self.maximum:,}.")
        return value


class DecimalNumber(colander.SchemaType):
    """A decimal of at most `precision` digits, `scale` of them after the point.

    NaN, infinities and exponents are refused; more decimals than the column
    keeps is an error, not a rounding.
    """

    def __init__(self, precision=None, scale=None):
        self.precision, self.scale = precision, scale

    def serialize(self, node, appstruct):
        return colander.null if appstruct in (colander.null, None) else str(appstruct)

    def deserialize(self, node, cstruct):
        text = _text(node, cstruct)
        if text is None:
            return colander.null
        if not _DECIMAL.match(text):
            raise colander.Invalid(node, "Enter a number, like 12.5 (digits and one decimal point).")
        whole, _, fraction = text.lstrip("+-").partition(".")
        whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
        if self.scale is not None and len(fraction) > self.scale:
            raise colander.Invalid(node, (
                f"Too many decimal places: at most {self.scale}." if self.scale else
                "Enter a whole number (no decimal places)."))
        if self.precision is not None:
            before = self.precision - (self.scale or 0)
            if len(whole) > before:
                raise colander.Invalid(node, (
                    f"Too many digits: at most {before} before the decimal point "
                    f"({self.precision} in all)."))
        value = Decimal(text)
        if self.scale is not None:  # exact (the places were checked): 2.5 -> 2.500, as stored
            with localcontext() as context:
                context.prec = max(28, len(whole) + self.scale + 2)
                value = value.quantize(Decimal(1).scaleb(-self.scale))
        return value


class FloatNumber(DecimalNumber):
    """A finite floating point number."""

    def deserialize(self, node, cstruct):
        value = super().deserialize(node, cstruct)
        return value if value is colander.null else float(value)


class Choice(colander.SchemaType):
    """One of `choices`: (stored value, shown text) pairs; enum members come back as such."""

    def __init__(self, choices, enum_class=None):
        self.choices, self.enum_class = list(choices), enum_class

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return appstruct.value if self.enum_class and isinstance(appstruct, self.enum_class) \
            else str(appstruct)

    def deserialize(self, node, cstruct):
        text = _text(node, cstruct)
        if text is None:
            return colander.null
        values = [value for value, _ in self.choices]
        if text not in values:
            raise colander.Invalid(node, "Choose one of: " + ", ".join(t for _, t in self.choices) + ".")
        return self.enum_class(text) if self.enum_class else text


class OptionalBoolean(colander.SchemaType):
    """Yes, No or not known (a nullable boolean column)."""

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return "true" if appstruct else "false"

    def deserialize(self, node, cstruct):
        text = _text(node, cstruct)
        if text is None:
            return colander.null
        if text not in ("true", "false"):
            raise colander.Invalid(node, "Choose Yes or No.")
        return text == "true"


class DateOnly(colander.SchemaType):
    """A calendar day, YYYY-MM-DD (what <input type=date> sends)."""

    def serialize(self, node, appstruct):
        return colander.null if appstruct in (colander.null, None) else appstruct.isoformat()

    def deserialize(self, node, cstruct):
        text = _text(node, cstruct)
        if text is None:
            return colander.null
        try:
            if not _DATE.match(text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise colander.Invalid(node, "Enter a real date as YYYY-MM-DD, like 2026-11-27.")


class LocalDateTime(colander.SchemaType):
    """A moment typed in the display time zone, stored naive in UTC.

    The zone comes from the form's binding (`timezone`), so a schema works for
    any request.
    """

    def _zone(self, node):
        return (node.bindings or {}).get("timezone") or timezone.utc

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        local = appstruct.replace(tzinfo=timezone.utc).astimezone(self._zone(node))
        return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")

    def deserialize(self, node, cstruct):
        text = _text(node, cstruct)
        if text is None:
            return colander.null
        match = _DATETIME.match(text)
        try:
            if not match:
                raise ValueError
            local = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
            return local.replace(tzinfo=self._zone(node)).astimezone(timezone.utc).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise colander.Invalid(node, "Enter a real date and time, like 2026-11-27 14:30.")


class ForeignKey(colander.SchemaType):
    """The key of an existing row of `model` (checked against the database)."""

    def __init__(self, model, title):
        self.model, self.title = model, title

    def serialize(self, node, appstruct):
        return colander.null if appstruct in (colander.null, None) else str(appstruct)

    def deserialize(self, node, cstruct):
        text = _text(node, cstruct)
        if text is None:
            return colander.null
        request = (node.bindings or {}).get("request")
        found = (re.fullmatch(r"[0-9a-f]{32}", text) and request is not None
                 and request.dbsession.get(self.model, text))
        if not found:
            raise colander.Invalid(
                node, f"There is no such {self.title.lower()} (it may have been deleted); choose another.")
        return text


__all__ = ["StrippedString", "WholeNumber", "DecimalNumber", "FloatNumber", "Choice",
           "OptionalBoolean", "DateOnly", "LocalDateTime", "ForeignKey"]
