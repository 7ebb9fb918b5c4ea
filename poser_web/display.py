"""How values are shown: the display time zone (`poser.timezone`, default UTC).

Date-times are stored naive in UTC; pages show and read them in this zone.
"""
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "UTC"


def display_timezone(request):
    """The ZoneInfo of the `poser.timezone` setting (UTC when unset)."""
    name = request.registry.settings.get("poser.timezone") or DEFAULT_TIMEZONE
    return ZoneInfo(name.strip())
