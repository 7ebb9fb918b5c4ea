"""Form building blocks shared by every master view: colander types, deform widgets."""
import re
from importlib.resources import files

import colander
import deform
from pyramid.csrf import get_csrf_token

from ..display.values import display_timezone
from ..models.mixins import Versioned
from . import binding, form_html, inline_table
from .rules import declared_rules

# Our deform templates first (no inline scripts, tabular inline rows), then deform's own.
# auto_reload off: deform's default looked at each template file's mtime on every render
# (a dozen stat calls per form page) for files that only change with a deploy (a restart).
renderer = deform.ZPTRendererFactory(
    (str(files("poser_web") / "templates" / "deform"), str(files("deform") / "templates")),
    auto_reload=False,
)


# Control characters (NUL above all) that no database column should store.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class StrippedString(colander.String):
    """Text with surrounding white space removed; blank counts as missing."""

    def deserialize(self, node, cstruct):
        if cstruct is not colander.null and not isinstance(cstruct, str):
            raise colander.Invalid(node, "Expected text.")
        if isinstance(cstruct, str):
            cstruct = cstruct.strip()
            if not cstruct:
                return colander.null
            if _CONTROL_CHARACTERS.search(cstruct):
                raise colander.Invalid(node, "Contains control characters that cannot be stored.")
        return super().deserialize(node, cstruct)


def text_node(name, title, max_length, in_row=False, **kwargs):
    """A required, trimmed text field of at most `max_length` characters.

    `in_row`: the field is a cell of an inline row (see InlineTableWidget).
    """
    widget = deform.widget.TextInputWidget(attributes={"maxlength": max_length})
    if in_row:
        widget.template = "row_textinput"
    return colander.SchemaNode(
        StrippedString(),
        name=name,
        title=title,
        validator=colander.Length(
            max=max_length, max_err=f"Too long: at most {max_length} characters."
        ),
        missing_msg=f"{title} is required.",
        widget=widget,
        **kwargs,
    )


def checkbox_node(name, title):
    """A boolean field: an unchecked box posts nothing, which means False."""
    return colander.SchemaNode(
        colander.Boolean(), name=name, title=title, missing=False, default=True,
        widget=deform.widget.CheckboxWidget(),
    )


def key_node():
    """The hidden uuid of an inline row: blank for a new row."""
    return colander.SchemaNode(
        colander.String(), name="uuid", missing=None, widget=deform.widget.HiddenWidget()
    )


def version_node():
    """The version the form was opened at: a save based on an older one is refused."""
    return colander.SchemaNode(
        colander.Integer(), name="version", missing=None, widget=deform.widget.HiddenWidget(),
    )


@colander.deferred
def _deferred_csrf_token(node, kw):
    return get_csrf_token(kw["request"])


def csrf_node():
    """The CSRF token every form carries; Pyramid checks it before any view runs."""
    return colander.SchemaNode(
        colander.String(), name="csrf_token", default=_deferred_csrf_token, missing=None,
        widget=deform.widget.HiddenWidget(),
    )


class InlineTableWidget(deform.widget.SequenceWidget):
    """Related rows edited in a compact table, one row per item.

    Rows left entirely blank (checkboxes aside) are dropped before validation,
    so an unused "Add" row never blocks a save.
    """

    template = "sequence_table"
    item_template = "sequence_table_row"
    category = "structural"  # the table carries its own heading, not a <label>

    def serialize(self, field, cstruct, **kw):
        # Written in Python when it can be (inline_table.py): the templates per row were most
        # of an edit page's cost.
        if inline_table.renders(field, kw):
            return inline_table.render(self, field, cstruct)
        return super().serialize(field, cstruct, **kw)

    def deserialize(self, field, pstruct):
        if pstruct is colander.null:
            return pstruct
        if not isinstance(pstruct, list) or not all(isinstance(row, dict) for row in pstruct):
            raise colander.Invalid(field.schema, "These rows were not sent as a list of rows.", value=[])
        item = field.children[0]
        pstruct = [row for row in pstruct if not blank_row(item.schema, row)]
        return super().deserialize(field, pstruct)


class PoserFormWidget(deform.widget.FormWidget):
    """deform's form widget, its first rendering written in Python when it can be
    (form_html.py): the templates per field were a third of an edit page's cost."""

    def serialize(self, field, cstruct, **kw):
        if form_html.renders(field, kw):
            return form_html.render(field, **kw)
        return super().serialize(field, cstruct, **kw)


def blank_row(row_schema, row):
    """Whether a posted inline row was left empty (checkboxes aside): the row is dropped, not
    saved. On schema nodes, so deform's fields and forms/posted.py share it."""
    for child in row_schema.children:
        if isinstance(child.typ, colander.Boolean):
            continue
        value = row.get(child.name)
        if isinstance(value, str) and value.strip():
            return False
        if value not in (None, "") and not isinstance(value, str):
            return False
    return True


def inline_rows(name, title, row_schema, max_rows, add_text, parent_collection):
    """A sequence of related rows, updated in place by their uuid on save.

    `max_rows` is enforced here (the browser's limit is only a convenience).
    `parent_collection(instance)` lists the rows that may be referenced by uuid.
    """

    def known_rows(node, value):
        instance = node.bindings.get("instance") if node.bindings else None
        known = {row.uuid for row in parent_collection(instance)} if instance is not None else set()
        error = None
        for index, row in enumerate(value):
            if row.get("uuid") and row["uuid"] not in known:
                error = error or colander.Invalid(node)
                error.add(
                    colander.Invalid(node.children[0], "This row no longer exists; reload the page."),
                    pos=index,
                )
        if error is not None:
            raise error

    return colander.SchemaNode(
        colander.Sequence(),
        row_schema.clone(),
        name=name,
        title=title,
        missing=[],
        validator=colander.All(
            colander.Length(max=max_rows, max_err=f"At most {max_rows} rows; remove some first."),
            known_rows,
        ),
        widget=InlineTableWidget(max_len=max_rows, add_subitem_text_template=add_text,
                                 orderable=False),
    )


def form_schema(schema, model=None, csrf=True):
    """A clone of `schema` as every form of `model` validates it, not bound yet: with the CSRF
    token (unless `csrf` is False: the JSON API checks it itself), the version of a Versioned
    model, the model's declared rules."""
    schema = schema.clone()
    if csrf and "csrf_token" not in schema:
        schema.insert(0, csrf_node())
    if model is not None and issubclass(model, Versioned) and "version" not in schema:
        schema.insert(1 if csrf else 0, version_node())
    rules = declared_rules(model) if model is not None else None
    if rules is not None:
        schema.validator = colander.All(schema.validator, rules) if schema.validator else rules
    return schema


def bind_form_schema(schema, request, instance=None, record_url=None):
    """A schema form_schema() made, or a copy of one (binding.copied), bound in place to the
    request (see make_form): colander's bind would clone it again."""
    return binding.bind(schema, request=request, instance=instance,
                        timezone=display_timezone(request), record_url=record_url)


def bound_schema(schema, request, instance=None, model=None, record_url=None, csrf=True):
    """`schema` as every form of `model` validates it (form_schema), bound to the request."""
    return bind_form_schema(form_schema(schema, model, csrf), request, instance, record_url)


def make_form(schema, request, instance=None, buttons=("Save",), model=None, record_url=None,
              **kwargs):
    """A deform Form over `schema` bound to this request (and the edited instance).

    `buttons`: titles ("Save": posted as `save`), or (name, title) pairs.

    Every form carries the CSRF token, and the version it was opened at when
    `model` is Versioned: schemas never add them themselves. The rules `model`
    declares (unique keys, ranges) are checked on every form of it (forms/rules.py).
    Any node's validators, defaults and widgets reach `request`, `instance` (None on a
    create form), `timezone` and `record_url` (record -> its page) through colander's
    bindings (`node.bindings`, or a `colander.deferred`).
    """
    return form_of(bound_schema(schema, request, instance, model, record_url), buttons, **kwargs)


def form_of(bound, buttons=("Save",), **kwargs):
    """The deform Form of a schema bound_schema() made (see make_form)."""
    # Focus the first visible field, and only it: deform's own focus="on" would also
    # mark the first input of every inline row (and skip our StrippedString fields).
    kwargs.setdefault("focus", "off")
    form = deform.Form(
        bound,
        buttons=[deform.Button(name=title.lower(), title=title) if isinstance(title, str)
                 else deform.Button(name=title[0], title=title[1]) for title in buttons],
        renderer=renderer,
        **kwargs,
    )
    if getattr(bound, "widget", None) is None:
        form.widget = PoserFormWidget()
    first = next((f for f in form.children if not isinstance(f.widget, deform.widget.HiddenWidget)),
                 None)
    if first is not None:
        first.autofocus = "autofocus"
    return form
