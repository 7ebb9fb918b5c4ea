"""A posted form read without deform's field tree, when nothing in it is wrong.

deform's `Form.validate` builds a Field per schema node, then clones the inline row's field
for every posted row, only to turn each field's posted text into its cstruct: most of a
save's form work. Here the widgets' own deserialization rules (deform 3: trimmed text,
a blank is null, a checkbox's true or false value; InlineTableWidget's blank rows dropped)
are applied to the parsed post directly, then the bound schema deserializes and validates
as before. Anything else — a widget not written here, a pstruct of the wrong shape, any
error — answers None: the form is then validated by deform, which gathers and shows the
messages exactly as it always did.
"""
import colander
import deform
import peppercorn

from . import InlineTableWidget, blank_row

_UNKNOWN = object()  # a node this module leaves to deform


class _Misshapen(Exception):
    """A posted value of a shape deform's widget refuses (it says why)."""


def validated(schema, controls):
    """(cstruct, appstruct) of the posted `controls` for the bound `schema`, or None."""
    try:
        pstruct = peppercorn.parse(controls)
        cstruct = _cstruct(schema, pstruct, root=True)
        if cstruct is _UNKNOWN:
            return None
        return cstruct, schema.deserialize(cstruct)
    except (colander.Invalid, ValueError, _Misshapen):  # ValueError: peppercorn's markers
        return None


def _text(widget, pstruct):
    if pstruct is colander.null:
        return colander.null
    if not isinstance(pstruct, str):
        raise _Misshapen
    if widget.strip:
        pstruct = pstruct.strip()
    return pstruct or colander.null


def _hidden(widget, pstruct):
    if not pstruct:
        return colander.null
    if not isinstance(pstruct, str):
        raise _Misshapen
    return pstruct


def _checkbox(widget, pstruct):
    if pstruct is colander.null:
        return widget.false_val
    if not isinstance(pstruct, str):
        raise _Misshapen
    return widget.true_val if pstruct == widget.true_val else widget.false_val


def _select(widget, pstruct):
    if pstruct in (colander.null, widget.null_value):
        return colander.null
    if widget.multiple or not isinstance(pstruct, str):
        raise _Misshapen
    return pstruct


_READERS = {
    deform.widget.TextInputWidget: _text,
    deform.widget.TextAreaWidget: _text,
    deform.widget.HiddenWidget: _hidden,
    deform.widget.CheckboxWidget: _checkbox,
    deform.widget.SelectWidget: _select,
}


def _cstruct(node, pstruct, root=False):
    widget = node.__dict__.get("widget")
    if isinstance(node.typ, colander.Mapping) and (
            (root and widget is None) or type(widget) is deform.widget.MappingWidget):
        if pstruct is colander.null:
            pstruct = {}
        elif not isinstance(pstruct, dict):
            raise _Misshapen
        values = {}
        for child in node.children:
            value = _cstruct(child, pstruct.get(child.name, colander.null))
            if value is _UNKNOWN:
                return _UNKNOWN
            values[child.name] = value
        return values
    if isinstance(node.typ, colander.Sequence):
        return _rows(node, widget, pstruct)
    read = _READERS.get(type(widget))
    return _UNKNOWN if read is None else read(widget, pstruct)


def _rows(node, widget, pstruct):
    if type(widget) is not InlineTableWidget or len(node.children) != 1:
        return _UNKNOWN
    if pstruct is colander.null:
        return colander.null
    if not isinstance(pstruct, list) or not all(isinstance(row, dict) for row in pstruct):
        raise _Misshapen
    item = node.children[0]
    rows = []
    for row in pstruct:
        if blank_row(item, row):
            continue
        value = _cstruct(item, row)
        if value is _UNKNOWN:
            return _UNKNOWN
        rows.append(value)
    return rows
