"""Read an HTML form the way a browser would, and fill a deform form generically.

`parse_forms(html)` lists every <form> with all its inputs, selects, textareas
and buttons in document order (hidden `__start__`/`__end__` markers included).
`fill(form, values, sequences)` builds the POST body a browser would send:
top-level fields set by name, and each deform sequence rebuilt with the wanted
rows — existing rows reused in order (their hidden `uuid` kept), extra rows made
from the sequence's prototype (the URL-quoted HTML row template deform puts in
the `prototype` attribute of the `.deform-proto` input).
"""
import urllib.parse
from dataclasses import dataclass, field as dc_field
from html.parser import HTMLParser

BUTTON_TYPES = ("submit", "button", "reset", "image")


@dataclass
class Field:
    tag: str
    type: str
    name: str
    value: str
    checked: bool = False
    disabled: bool = False
    attrs: dict = dc_field(default_factory=dict)
    label: str = ""

    def successful_by_default(self):
        if self.disabled or not self.name:
            return False
        if self.type in ("checkbox", "radio"):
            return self.checked
        return self.type not in BUTTON_TYPES + ("file",)


@dataclass
class Form:
    action: str
    method: str
    fields: list

    def names(self):
        return [f.name for f in self.fields]

    def successful(self):
        return [f for f in self.fields if f.successful_by_default()]

    def submit_button(self, label=None):
        buttons = [f for f in self.fields if f.type in ("submit", "image") and not f.disabled]
        for b in buttons:
            if label is None or label.lower() in (b.label.lower(), b.value.lower(), b.name.lower()):
                return b
        return buttons[0] if buttons else None


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.loose = [], []
        self._form = None
        self._select = None
        self._option = None
        self._text_target = None  # a textarea or button whose text we collect

    def _fields(self):
        return self._form.fields if self._form is not None else self.loose

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower(), [])
            self.forms.append(self._form)
        elif tag == "input":
            kind = a.get("type", "text").lower()
            default = "on" if kind in ("checkbox", "radio") else ""
            self._fields().append(Field("input", kind, a.get("name", ""), a.get("value", default),
                                        "checked" in a, "disabled" in a, a))
        elif tag == "textarea":
            self._text_target = Field("textarea", "textarea", a.get("name", ""), "", False,
                                      "disabled" in a, a)
            self._fields().append(self._text_target)
        elif tag == "button":
            self._text_target = Field("button", a.get("type", "submit").lower(), a.get("name", ""),
                                      a.get("value", ""), False, "disabled" in a, a)
            self._fields().append(self._text_target)
        elif tag == "select":
            self._select = Field("select", "select", a.get("name", ""), None, False, "disabled" in a, a)
            self._fields().append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a
            self._option_text = ""
            if "selected" in a or self._select.value is None:
                self._select.value = a.get("value")
                self._select.attrs["_pending_text"] = "value" not in a

    def handle_data(self, data):
        if self._text_target is not None:
            if self._text_target.tag == "textarea":
                self._text_target.value += data
            else:
                self._text_target.label += data.strip()
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag in ("textarea", "button"):
            self._text_target = None
        elif tag == "option" and self._option is not None:
            if self._select.attrs.pop("_pending_text", False) and self._select.value is None:
                self._select.value = self._option_text.strip()
            self._option = None
        elif tag == "select":
            if self._select is not None and self._select.value is None:
                self._select.value = ""
            self._select = None


def parse_forms(html):
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms


def parse_fields(html):
    """Every field of an HTML fragment (no <form> needed), in document order."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.loose + [f for form in parser.forms for f in form.fields]


def main_form(html, field_name="description"):
    """The page's data form: the one with a `field_name` input, else a deform one."""
    forms = parse_forms(html)
    for form in forms:
        if field_name in form.names():
            return form
    for form in forms:
        if "__formid__" in form.names():
            return form
    return None


def sequence_names(form):
    return [f.value.split(":")[0] for f in form.fields
            if f.name == "__start__" and f.value.endswith(":sequence")]


def prototype_fields(start_field):
    proto = start_field.attrs.get("prototype")
    if not proto:
        return None
    return parse_fields(urllib.parse.unquote(proto))


def _emit(field, wanted, out):
    """Append what a browser sends for `field`, with `wanted` (None: as rendered)."""
    if field.disabled or not field.name or field.type in BUTTON_TYPES + ("file",):
        return
    if wanted is None:
        if field.successful_by_default():
            out.append((field.name, field.value))
    elif field.type == "checkbox":
        if wanted:
            out.append((field.name, field.value))
    elif field.type == "radio":
        if str(wanted) == field.value:
            out.append((field.name, field.value))
    else:
        out.append((field.name, str(wanted)))


def _split_items(fields):
    """Split a sequence's inner fields into item blocks (one mapping each)."""
    items, depth, current = [], 0, []
    for f in fields:
        if depth == 0 and (not f.name or f.type in BUTTON_TYPES):
            continue  # a row's remove/reorder buttons sit between the rows
        current.append(f)
        if f.name == "__start__":
            depth += 1
        elif f.name == "__end__":
            depth -= 1
        if depth == 0:
            items.append(current)
            current = []
    return items


def _fill_item(item_fields, row, out):
    for f in item_fields:
        if f.name in ("__start__", "__end__"):
            out.append((f.name, f.value))
        else:
            _emit(f, row.get(f.name), out)


def fill(form, values=None, sequences=None, submit=None):
    """The (name, value) pairs a browser posts for `form`, filled in.

    values: {field name: value} for fields outside sequences (checkbox: truthy).
    sequences: {sequence name: [row dicts]}; row i reuses the form's i-th row,
    rows beyond those come from the prototype. Raises ValueError when a wanted
    sequence is missing or has no prototype for new rows.
    """
    values, sequences = dict(values or {}), dict(sequences or {})
    out, fields, i = [], form.fields, 0
    enclosing = []  # True for each open __start__ that is a sequence: its rows keep their values
    missing = set(sequences) - set(sequence_names(form))
    if missing:
        raise ValueError(f"form has no sequence {sorted(missing)}")
    while i < len(fields):
        f = fields[i]
        seq = f.value.split(":")[0] if f.name == "__start__" and f.value.endswith(":sequence") else None
        if seq in sequences:
            depth, j = 1, i + 1
            while j < len(fields) and depth:
                depth += {"__start__": 1, "__end__": -1}.get(fields[j].name, 0)
                j += 1
            existing = _split_items(fields[i + 1:j - 1])
            proto = prototype_fields(f)
            out.append((f.name, f.value))
            for n, row in enumerate(sequences[seq]):
                if n < len(existing) and not row.get("__new__"):
                    template = existing[n]
                elif proto:
                    template = proto
                else:
                    raise ValueError(f"sequence {seq!r} has no prototype to add rows from")
                _fill_item(template, row, out)
            out.append((fields[j - 1].name, fields[j - 1].value))
            i = j
            continue
        if f.name == "__start__":
            enclosing.append(f.value.endswith(":sequence"))
            out.append((f.name, f.value))
        elif f.name == "__end__":
            if enclosing:
                enclosing.pop()
            out.append((f.name, f.value))
        else:
            # A row's field of the same name (a component's description) is not the form's.
            _emit(f, None if any(enclosing) else values.get(f.name), out)
        i += 1
    button = form.submit_button(submit)
    if button is not None and button.name:
        out.append((button.name, button.value))
    return out


def existing_rows(form, sequence):
    """The rows a sequence currently shows, as dicts of their field values."""
    rows, inside, depth, current = [], False, 0, None
    for f in form.fields:
        if not inside:
            inside = f.name == "__start__" and f.value == f"{sequence}:sequence"
            continue
        if f.name == "__start__":
            depth += 1
            if depth == 1:
                current = {}
            continue
        if f.name == "__end__":
            if depth == 0:
                break
            depth -= 1
            if depth == 0:
                rows.append(current)
            continue
        if current is not None and f.name:
            if f.type == "checkbox":
                current[f.name] = f.checked
            else:
                current[f.name] = f.value
    return rows
