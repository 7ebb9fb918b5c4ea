"""Escaping for markup built in Python (views/list_rows.py, forms/inline_table.py): the pages'
busiest parts, where a template's per-value work cost more than the rest of the request."""
import re
from html import escape as _escape

_SPECIAL = re.compile("[&<>\"']")


def escape(value):
    """`value` as HTML text or attribute value: None is nothing, markup (__html__) stays, the
    rest is escaped (html.escape: no Markup object made per value, as markupsafe.escape does)."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value.__html__()
    text = str(value)
    return _escape(text) if _SPECIAL.search(text) else text  # most texts have nothing to escape
