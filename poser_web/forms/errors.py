"""A failed form, accessible: the summary of its errors and each error tied to its field.

templates/deform/form.pt calls these while rendering: `summary(form)` lists
every error (with the row number of an inline row) for the box at the top of
the form, and `tie(html)` marks each input that has an error message with
aria-invalid and aria-describedby pointing at that message.
"""
import re
from collections import namedtuple

import colander
import deform.widget
from markupsafe import Markup

Problem = namedtuple("Problem", "target text")

# An error message's element: id="error-<oid>" or id="error-<oid>-<n>" (n >= 1).
_ERROR_ID = re.compile(r'id="error-(deformField\d+)(?:-\d+)?"')


def prepare(form):
    """Before a failed form renders: no autofocus anywhere (the summary takes the focus)."""
    if form.error is not None:
        for field in _walk(form):
            field.autofocus = None


def summary(form):
    """[Problem(target id or None, text)] of a failed form, in the order of its fields."""
    problems = []
    if form.error is not None:
        _collect(form, "", problems)
    return problems


def _walk(field):
    yield field
    for child in _children(field):
        yield from _walk(child)


def _is_sequence(field):
    return isinstance(field.schema.typ, colander.Sequence)


def _children(field):
    """The fields under `field`: a sequence's are its rows (deform's `children` is its prototype)."""
    if _is_sequence(field):
        return list(getattr(field, "sequence_fields", ()) or ())
    return list(field.children)


def _hidden(field):
    return isinstance(field.widget, deform.widget.HiddenWidget) or getattr(field.widget, "hidden", False)


def _collect(field, prefix, problems):
    error = field.error
    if error is None:
        return
    children = _children(field)
    if children or _is_sequence(field) or isinstance(field.schema.typ, colander.Mapping):
        if error.msg and field.parent is not None:
            problems.append(Problem(f"error-{field.oid}", prefix + _text(field, error.msg)))
        for index, child in enumerate(children, start=1):
            if _is_sequence(field):
                row = (child.title or field.title or "Row").strip()
                _collect(child, f"{prefix}{row} row {index}: ", problems)
            else:
                _collect(child, prefix, problems)
        return
    for message in error.messages():
        target = None if _hidden(field) else field.oid
        problems.append(Problem(target, prefix + _text(field, message)))


def _text(field, message):
    """The message, naming its field unless it does already ("Item Code is required.").

    The summary is plain text: a message with a link (a record named by a unique key)
    keeps its words, the link stays at the field."""
    message = message.striptags() if isinstance(message, Markup) else str(message).strip()
    title = (field.title or "").strip()
    if not title or title.lower() in message.lower():
        return message
    return f"{title}: {message}"


def tie(html):
    """The rendered fields with every input that has an error message marked and described by it."""
    html = str(html)
    described = {}
    for match in _ERROR_ID.finditer(html):
        full = match.group(0)[len('id="'):-1]
        described.setdefault(match.group(1), []).append(full)
    for oid, ids in described.items():
        html = _mark(html, oid, " ".join(ids))
    return Markup(html)


def _mark(html, oid, ids):
    tag = re.compile(r'<(input|select|textarea)\b([^>]*?)\bid="' + re.escape(oid) + r'"([^>]*)>')

    def add(match):
        element, before, after = match.groups()
        attributes = before + f'id="{oid}"' + after
        closing = ""
        if attributes.rstrip().endswith("/"):
            attributes, closing = attributes.rstrip()[:-1], "/"
        described = re.search(r'aria-describedby="([^"]*)"', attributes)
        if described:
            attributes = attributes.replace(described.group(0),
                                            f'aria-describedby="{ids} {described.group(1)}"')
        else:
            attributes += f' aria-describedby="{ids}"'
        if "aria-invalid" not in attributes:
            attributes += ' aria-invalid="true"'
        return f"<{element}{attributes}{closing}>"

    return tag.sub(add, html, count=1)
