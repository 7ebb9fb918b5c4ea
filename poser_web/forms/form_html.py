"""A form's first rendering written in Python: the markup of templates/deform/form.pt around
deform's mapping_item.pt and its hidden, textinput, textarea, checkbox and select templates.

Through deform, each field cost two Chameleon templates whose many `a|b` look-ups were a
third of an edit page. Here the same elements, names, ids (the fields' oids), labels,
classes and attributes are written directly. Only a form without errors takes this way; a
field of any other widget, or with a description, prepended text or a mask, is rendered by
deform's own templates (`render_item`), and the inline rows table by its widget
(inline_table.py).
"""
import colander
import deform
from markupsafe import Markup

from ..web.html import escape


def renders(form, kw):
    """Whether `form` (a deform Form) can be written here."""
    return (form.error is None and not kw.get("readonly") and not form.widget.readonly
            and not getattr(form.widget, "attributes", None) and not kw.keys() - {"cancel_url"})


def _value(cstruct):
    return "" if cstruct in (colander.null, None) else cstruct


def _attributes(field, css, required=True):
    """The attributes every input template adds: class, style, required, autofocus, then the
    widget's own (None and False left out), as tal:attributes writes them."""
    widget = field.widget
    parts = [f' class="{escape(css)}"']
    if widget.style is not None:
        parts.append(f' style="{escape(widget.style)}"')
    if required and field.required:
        parts.append(' required="required"')
    if field.autofocus:
        parts.append(f' autofocus="{escape(field.autofocus)}"')
    return parts


def _own(widget, taken):
    """The widget's `attributes`, those not replacing one already written."""
    return "".join(f' {escape(k)}="{escape(v)}"' for k, v in (getattr(widget, "attributes", None) or {}).items()
                   if v is not None and v is not False and k not in taken)


def _text(field, cstruct):
    widget, oid = field.widget, field.oid
    own = getattr(widget, "attributes", None) or {}
    kind = own.get("type", "text")
    return (f'<input type="{escape(kind)}" name="{escape(field.name)}" value="{escape(_value(cstruct))}" '
            f'id="{oid}"' + "".join(_attributes(field, f"form-control {widget.css_class or ''}"))
            + _own(widget, {"type"}) + "/>")


def _textarea(field, cstruct):
    widget = field.widget
    parts = [f' {name}="{escape(getattr(widget, name))}"' for name in ("rows", "cols")
             if getattr(widget, name) is not None]
    parts += _attributes(field, f"form-control {widget.css_class or ''}")
    return (f'<textarea id="{field.oid}" name="{escape(field.name)}"' + "".join(parts) + _own(widget, ())
            + f">{escape(_value(cstruct))}</textarea>")


def _hidden(field, cstruct):
    return f'<input type="hidden" name="{escape(field.name)}" value="{escape(_value(cstruct))}" id="{field.oid}"/>'


def _checkbox(field, cstruct):
    widget = field.widget
    checked = ' checked="checked"' if cstruct == widget.true_val else ""
    return ('<div class="form-check">\n  <input type="checkbox" name="' + escape(field.name)
            + f'" value="{escape(widget.true_val)}" id="{field.oid}"{checked}'
            + "".join(_attributes(field, f"form-check-input {widget.css_class or ''}"))
            + _own(widget, ()) + " />\n</div>")


_SELECTED = ' selected="selected"'


def _select(field, cstruct):
    widget = field.widget
    cstruct = widget.null_value if cstruct in (colander.null, None) else cstruct
    chosen = str(cstruct)
    option_class = f' class="{escape(widget.css_class)}"' if widget.css_class else ""
    options = "".join(
        f'\n    <option{_SELECTED if value == chosen else ""}{option_class}'
        f' value="{escape(value)}">{escape(text)}</option>'
        for value, text in ((v if isinstance(v, str) else str(v), t) for v, t in widget.values))
    return (f'<select name="{escape(field.name)}" id="{field.oid}"'
            + "".join(_attributes(field, f"form-select {widget.css_class or ''}")) + _own(widget, ())
            + f">{options}\n  </select>")


_WRITERS = {
    (deform.widget.HiddenWidget, "hidden"): _hidden,
    (deform.widget.TextInputWidget, "textinput"): _text,
    (deform.widget.TextAreaWidget, "textarea"): _textarea,
    (deform.widget.CheckboxWidget, "checkbox"): _checkbox,
    (deform.widget.SelectWidget, "select"): _select,
}


def _writer(field):
    """The function writing `field`'s input, or None: deform's templates write it."""
    widget = field.widget
    write = _WRITERS.get((type(widget), widget.template))
    if write is None or widget.readonly or widget.item_css_class or field.description != "":
        return None
    if getattr(widget, "input_prepend", None) or getattr(widget, "input_append", None):
        return None
    if getattr(widget, "mask", None) or hasattr(field.schema, "label"):
        return None
    if write is _select and (widget.multiple or widget.size or widget.long_label_generator
                             or "readonly" in (getattr(widget, "attributes", None) or {})
                             or not all(isinstance(v, tuple) for v in widget.values)):
        return None
    return write


def render_item(field, template):
    """One field as mapping_item.pt lays it out: its label above its input."""
    widget = field.widget
    write = _writer(field) if field.name else None
    if write is None:
        if (widget.category == "structural" and not widget.hidden and not field.description
                and not getattr(widget, "input_prepend", None) and not getattr(widget, "input_append", None)):
            return str(field.serialize()).strip()  # mapping_item adds nothing around it
        return field.render_template(template)
    if widget.hidden:
        return write(field, field.cstruct)
    oid = field.oid
    return (f'<div class="mb-3  {field.default_item_css_class()}" title="" id="item-{oid}">\n'
            f'  <label for="{oid}" class="form-label" id="req-{oid}">{escape(field.title)}</label>\n'
            f'  {write(field, field.cstruct)}\n</div>')


def render(form, cancel_url=None):
    """The whole form as templates/deform/form.pt writes it without errors."""
    formid = escape(form.formid)
    action = f' action="{escape(form.action)}"' if form.action else ""
    css = form.widget.css_class or form.css_class or ""
    items = "\n".join(render_item(child, form.widget.item_template) for child in form.children)
    buttons = "".join(
        f'\n    <button id="{formid}{escape(b.name)}" name="{escape(b.name)}" type="{escape(b.type)}"'
        f' class="btn {escape(b.css_class or ("btn-primary" if i == 0 else "btn-secondary"))}"'
        f' value="{escape(b.value)}">{escape(b.title)}</button>' for i, b in enumerate(form.buttons))
    cancel = f'\n    <a class="btn btn-link" href="{escape(cancel_url)}">Cancel</a>' if cancel_url else ""
    return Markup(
        f'<form id="{formid}" method="{escape(form.method)}" enctype="multipart/form-data"'
        f' accept-charset="utf-8" class="{escape(css)}"{action}>\n'
        '  <input type="hidden" name="_charset_" />\n'
        f'  <input type="hidden" name="__formid__" value="{formid}"/>\n'
        f'{items}\n'
        '  <div class="mb-3 deform-form-buttons d-flex flex-wrap gap-2 align-items-center">'
        f'{buttons}{cancel}\n  </div>\n</form>')
