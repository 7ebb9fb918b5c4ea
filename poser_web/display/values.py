"""Values as users read them: one formatting per column type, for list cells,
view pages and downloads.

Date-times are stored naive in UTC and shown in the display time zone, the
`poser.timezone` setting (an IANA name such as "Europe/Berlin"; default UTC).
"""
import enum
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import types

UTC = timezone.utc
TEXT_CELL_LIMIT = 80  # a Text column's list cell is cut here (the whole text in its tooltip)
TIMEZONE_SETTING = "poser.timezone"


def parse_timezone(name):
    """The tzinfo named by the setting; a ValueError naming the setting when unknown."""
    name = (name or "").strip() or "UTC"
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{TIMEZONE_SETTING} = {name!r} is not a known time zone "
                         "(use an IANA name such as Europe/Berlin, or UTC).") from error


def display_timezone(request_or_registry):
    """The display time zone of the app (read once from the settings)."""
    registry = getattr(request_or_registry, "registry", request_or_registry)
    zone = registry.get(TIMEZONE_SETTING) if hasattr(registry, "get") else None
    if zone is None:
        zone = parse_timezone(registry.settings.get(TIMEZONE_SETTING))
        registry[TIMEZONE_SETTING] = zone
    return zone


def includeme(config):
    """Check `poser.timezone` when the app starts, not on the first page."""
    config.registry[TIMEZONE_SETTING] = parse_timezone(config.get_settings().get(TIMEZONE_SETTING))


def kind_of(sql_type):
    """One word for what a column holds: decides format, alignment, sort cursor,
    filter and export cell. None when the type is not known."""
    if sql_type is None:
        return None
    if isinstance(sql_type, types.TypeDecorator):
        sql_type = sql_type.impl_instance if hasattr(sql_type, "impl_instance") else sql_type.impl
    if isinstance(sql_type, types.Enum):
        return "choice"
    if isinstance(sql_type, types.Boolean):
        return "boolean"
    if isinstance(sql_type, types.DateTime):
        return "datetime"
    if isinstance(sql_type, types.Date):
        return "date"
    if isinstance(sql_type, types.Integer):
        return "integer"
    if isinstance(sql_type, types.Numeric):
        return "numeric"
    if isinstance(sql_type, types.Text) or (isinstance(sql_type, types.String) and not sql_type.length):
        return "text"
    if isinstance(sql_type, types.String):
        return "string"
    return None


def choices_of(column):
    """(stored value, label) pairs of a choice column: info={"choices": ...} or an Enum."""
    declared = getattr(column, "info", {}).get("choices")
    if declared is not None:
        return tuple((c[0], c[1]) if isinstance(c, (tuple, list)) else (c, str(c)) for c in declared)
    sql_type = getattr(column, "type", None)
    if isinstance(sql_type, types.Enum):
        if sql_type.enum_class is not None:
            return tuple((member, enum_label(member)) for member in sql_type.enum_class)
        return tuple((value, value) for value in sql_type.enums)
    return ()


def enum_label(member):
    return str(member.value) if isinstance(member.value, str) else member.name


def to_display_zone(value, zone):
    """A stored (naive UTC, or aware) date-time in the display zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def utc_text(value):
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def moment(request, value):
    """A stored date-time as (text in the display zone to the second, its UTC text for a tooltip).

    History pages show the times the same way as list cells (poser.timezone).
    """
    return to_display_zone(value, display_timezone(request)).strftime("%Y-%m-%d %H:%M:%S %Z"), utc_text(value)


def format_numeric(value, scale=None):
    if isinstance(value, Decimal) and scale is not None and value.is_finite():
        return f"{value:.{scale}f}"
    return str(value)


def formatter(sql_type, zone, choices=(), cell=True):
    """A function value -> (text, tooltip or None) for values of `sql_type`.

    `cell`: a list cell (long text cut); else the whole value (view page).
    """
    kind = kind_of(sql_type)
    labels = dict(choices)

    def plain(value):
        if value is None:
            return "", None
        if value is True or value is False:
            return ("Yes" if value else "No"), None
        if isinstance(value, enum.Enum):
            return labels.get(value) or enum_label(value), None
        if isinstance(value, datetime):
            return to_display_zone(value, zone).strftime("%Y-%m-%d %H:%M %Z"), utc_text(value)
        if isinstance(value, date):
            return value.isoformat(), None
        if isinstance(value, Decimal):
            return format_numeric(value, getattr(sql_type, "scale", None)), None
        if labels and value in labels:
            return str(labels[value]), None
        return str(value), None

    if kind == "text" and cell:
        def cut(value):
            if value is None:
                return "", None
            text = str(value)
            if len(text) <= TEXT_CELL_LIMIT:
                return text, None
            return text[:TEXT_CELL_LIMIT - 1].rstrip() + "…", text[:1000]
        return cut
    return plain


def plain_text(value, sql_type=None, zone=UTC, choices=()):
    """One value as plain text (a CSV cell)."""
    if isinstance(value, datetime):
        return to_display_zone(value, zone).strftime("%Y-%m-%d %H:%M:%S")
    return formatter(sql_type, zone, choices, cell=False)(value)[0]


def column_kind(column):
    """kind_of() for a table column, "choice" when it declares choices."""
    if getattr(column, "info", {}).get("choices") is not None:
        return "choice"
    return kind_of(getattr(column, "type", None))
