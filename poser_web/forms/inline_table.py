"""The inline rows table (InlineTableWidget) rendered in Python: the markup of
templates/deform/sequence_table.pt, sequence_table_row.pt, mapping_row_cells.pt and row_cell.pt.

Through deform, a widget of 4 components cost five templates per row plus a cloned field per
row and for the prototype: most of an edit page. Here the same names (the __start__/__end__
markers, each cell's name), ids (deformFieldN, from deform's counter), labels and buttons are
written directly, so a posted form parses as before and poser.js / deform.js work unchanged.

Only the first rendering takes this way: cells of the widgets written here (hidden, a row text
input, a checkbox), no errors to show. A form shown again with its errors, or a row with any
other widget, goes through deform's templates (`renders`).
"""
from functools import lru_cache

import colander
import deform
from markupsafe import Markup

from ..web.html import escape

# What urllib.parse.quote(bytes) writes for each byte ("/" and the always-safe characters
# kept, the rest %XX), as one str.translate: quote's per-byte Python loop over the row
# prototype was a sixth of this table's rendering. A form's prototype differs only by the
# ids the rows before it took, so the few seen are kept.
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/")
_QUOTED = {byte: chr(byte) if byte in _SAFE else f"%{byte:02X}" for byte in range(256)}


@lru_cache(maxsize=256)
def _quote(text):
    return text.encode("utf-8").decode("latin-1").translate(_QUOTED)


def _kind(widget):
    if type(widget) is deform.widget.HiddenWidget and widget.template == "hidden":
        return "hidden"
    if type(widget) is deform.widget.TextInputWidget and widget.template == "row_textinput":
        return "text"
    if type(widget) is deform.widget.CheckboxWidget and widget.template == "checkbox":
        return "checkbox"
    return None


def renders(field, kw):
    """Whether `field` (the sequence) can be written here."""
    if kw.get("readonly") or field.widget.readonly or field.error:
        return False
    if getattr(field, "sequence_fields", None):  # shown again after a failed validation
        return False
    item = field.children[0]
    return all(_kind(child.widget) and not child.widget.readonly and child.widget.style is None
               for child in item.children)


def _value(cstruct):
    return "" if cstruct in (colander.null, None) else cstruct


class _Cell:
    """What a cell writes the same way in every row (its kind, escaped name, title and
    attributes), worked out once per table rather than once per row: a table of 4 columns
    escaped each of these for every row and the prototype."""

    def __init__(self, child):
        widget = child.widget
        self.child, self.kind = child, _kind(widget)
        self.name, self.title = escape(child.name), escape(child.title)
        self.extra = "".join(f' {escape(k)}="{escape(v)}"'
                             for k, v in (getattr(widget, "attributes", None) or {}).items()
                             if v is not None and v is not False)
        self.css = escape(widget.css_class or "")
        if self.kind == "checkbox":
            self.true_val = widget.true_val
            self.checkbox = (f'         name="{self.name}" value="{escape(widget.true_val)}"\n         id="')
            required = ' required="required"' if child.required else ""
            self.attributes = f' class="form-check-input {self.css}"{required}{self.extra} />\n\n  \n</div>'


def _input(cell, cstruct, oid):
    """A cell's input, as deform's hidden.pt / our row_textinput.pt / checkbox.pt write it."""
    if cell.kind == "hidden":
        return f'<input type="hidden" name="{cell.name}" value="{escape(_value(cstruct))}" \n       id="{oid}"/>'
    if cell.kind == "text":
        return (f'<input type="text" name="{cell.name}" value="{escape(_value(cstruct))}"\n'
                f'       id="{oid}" class="form-control form-control-sm {cell.css}"{cell.extra}/>')
    checked = ' checked="checked"' if cstruct == cell.true_val else ""
    return ('<div class="form-check">\n  <input\n         type="checkbox"\n'
            f'{cell.checkbox}{oid}"{checked}{cell.attributes}')


def _row(item, cells, cstruct, row_oid, number, counter):
    """One <tr>: the row's cells (hidden ones in the first), then its Remove button."""
    cstruct = cstruct if isinstance(cstruct, dict) else {}
    oids = [f"deformField{next(counter)}" for _ in cells]
    hidden = "".join(_input(c, cstruct.get(c.child.name, colander.null), oid)
                     for c, oid in zip(cells, oids) if c.kind == "hidden")
    visible = [(c, oid) for c, oid in zip(cells, oids) if c.kind != "hidden"]
    name = escape(item.name)
    parts = []
    for index, (cell, oid) in enumerate(visible):
        first = f'<input type="hidden" name="__start__" value="{name}:mapping"/>{hidden}' if index == 0 else ""
        last = f'<input type="hidden" name="__end__" value="{name}:mapping"/>' if index == len(visible) - 1 else ""
        parts.append(f'  <td>\n    {first}\n  <label for="{oid}" class="visually-hidden">{cell.title}</label>\n'
                     f'  {_input(cell, cstruct.get(cell.child.name, colander.null), oid)}\n    {last}\n  </td>')
    title = escape((item.title or "row").lower())
    return ('<tr class="deform-seq-item ">\n' + "\n".join(parts) + '\n  <td class="text-end">\n'
            '    <button type="button" class="btn btn-sm btn-outline-danger deform-close-button poser-seq-remove"\n'
            f'            id="{row_oid}-close" data-row-title="{title}"\n'
            f'            aria-label="Remove {title} row {number}">Remove</button>\n  </td>\n</tr>\n')


def render(widget, field, cstruct):
    """The whole sequence: prototype, heading, rows, the empty note and the Add button."""
    item = field.children[0]
    counter = item.counter
    rows = [] if cstruct in (colander.null, None) else list(cstruct)
    cells = [_Cell(child) for child in item.children]
    body = "".join(_row(item, cells, row, f"deformField{next(counter)}", number, counter)
                   for number, row in enumerate(rows, 1))
    prototype = _quote(_row(item, cells, item.cstruct, f"deformField{next(counter)}", "", counter))
    columns = [c for c in cells if c.kind != "hidden"]
    oid, name = escape(field.oid), escape(field.name)
    min_len, max_len = widget.min_len or 0, widget.max_len or 100000
    of_most = f"of at most {max_len}" if max_len < 100000 else ""
    add = deform.i18n._(widget.add_subitem_text_template, mapping={
        "subitem_title": item.title, "subitem_description": item.description, "subitem_name": item.name})
    heads = "".join(f'<th scope="col">{c.title}</th>' for c in columns)
    return Markup(
        f'<div class="deform-seq poser-inline mb-3" id="{oid}">\n'
        f'  <input type="hidden" name="__start__" value="{name}:sequence"\n'
        f'         class="deform-proto" prototype="{escape(prototype)}"/>\n'
        '  <div class="card">\n    <div class="card-header d-flex align-items-center">\n'
        f'      <h2 class="h6 mb-0 me-auto" id="{oid}-title">{escape(field.title)}</h2>\n'
        '      <small class="text-body-secondary" aria-live="polite" aria-atomic="true">'
        f'<span class="poser-row-count">{len(rows)}</span>\n        {of_most} rows</small>\n'
        '    </div>\n    <div class="card-body p-0">\n      <div class="table-responsive">\n'
        f'        <table class="table table-sm align-middle mb-0" aria-labelledby="{oid}-title">\n'
        f'          <thead>\n            <tr>\n              {heads}\n'
        '              <th scope="col"><span class="visually-hidden">Remove</span></th>\n'
        '            </tr>\n          </thead>\n          <tbody class="deform-seq-container">\n'
        f'            {body}'
        f'            <tr class="deform-insert-before poser-empty-row" min_len="{min_len}" max_len="{max_len}"'
        f' now_len="{len(rows)}" orderable="0">\n'
        f'              <td colspan="{len(columns) + 1}" class="text-muted poser-empty-note">No rows yet.</td>\n'
        '            </tr>\n          </tbody>\n        </table>\n      </div>\n    </div>\n'
        '    <div class="card-footer">\n'
        '      <button type="button" class="btn btn-sm btn-outline-primary deform-seq-add poser-seq-add"\n'
        f'              id="{oid}-seqAdd">{escape(add.interpolate())}</button>\n'
        f'    </div>\n  </div>\n  <input type="hidden" name="__end__" value="{name}:sequence"/>\n</div>')
