"""Escaping for markup built in Python (views/list_rows.py, forms/inline_table.py): the pages'
busiest parts, where a template's per-value work cost more than the rest of the request."""
from html import escape as _escape


def escape(value):
    """`value` as HTML text or attribute value: None is nothing, markup (__html__) stays, the
    rest is escaped (html.escape: no Markup object made per value, as markupsafe.escape does)."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value.__html__()
    text = str(value)
    # Most texts have nothing to escape. Five scans for one character each (memchr) cost less
    # than one regex search of a character class, by far on longer texts.
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return _escape(text)
    return text
