"""Helpers shared by the tests: seeding rows, posting deform forms, watching the SQL sent."""
import re
from contextlib import contextmanager

from tests import factories
from tests.factories import PASSWORD  # tests import it from here

# The records themselves come from tests/factories.py (these names are kept for the many
# tests that use them).
add_user = factories.user
add_widget = factories.widget


def log_in(app, username, password=PASSWORD, came_from=None, status=303):
    """Log `app` in through the login form; returns the response."""
    page = app.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    fields = {"csrf_token": token, "username": username, "password": password}
    if came_from is not None:
        fields["came_from"] = came_from
    return app.post("/login", fields, status=status)


def csrf_token(testapp, url="/widgets/new"):
    """The CSRF token of the test's session, read from a form page."""
    response = testapp.get(url)
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)


def widget_form(token, description, active=True, components=(), button="save", version=None):
    """The fields deform posts for the widget form, in document order.

    `components` are dicts with item_code, description, optional active and uuid.
    """
    fields = [("_charset_", "UTF-8"), ("__formid__", "master-form")]
    if token is not None:
        fields.append(("csrf_token", token))
    if version is not None:
        fields.append(("version", str(version)))
    fields.append(("description", description))
    if active:
        fields.append(("active", "true"))
    fields.append(("__start__", "components:sequence"))
    for row in components:
        fields += [("__start__", "component:mapping"), ("uuid", row.get("uuid", "")),
                   ("item_code", row.get("item_code", "")),
                   ("description", row.get("description", ""))]
        if row.get("active", True):
            fields.append(("active", "true"))
        fields.append(("__end__", "component:mapping"))
    fields += [("__end__", "components:sequence"), (button, button)]
    return fields


def grid_descriptions(response):
    """The Description column of a list page, top to bottom."""
    table = response.html.find("table", id="grid")
    if table is None:
        return []
    return [row.find("td").get_text(strip=True) for row in table.tbody.find_all("tr")]


# -- Helpers for any table (the tests `poser scaffold` writes use them) --------


def sample_value(column, n=1):
    """A valid value for `column`, from its type and declared choices."""
    import datetime as dt
    import decimal

    from sqlalchemy import types

    choices = column.info.get("choices")
    kind = column.type
    if choices:
        return choices[0]
    if isinstance(kind, types.Enum):
        return kind.enum_class(kind.enums[0]) if kind.enum_class else kind.enums[0]
    if isinstance(kind, types.Boolean):
        return True
    if isinstance(kind, types.Integer):
        return _within(column, n)
    if isinstance(kind, types.Numeric):
        return _within(column, decimal.Decimal(n))
    if isinstance(kind, types.DateTime):
        return dt.datetime(2026, 1, 1, 12, 0) + dt.timedelta(days=n)
    if isinstance(kind, types.Date):
        return dt.date(2026, 1, 1) + dt.timedelta(days=n)
    if isinstance(kind, types.String):
        text = f"{column.table.name.removeprefix('poser_')} {n}"
        return text[: kind.length] if kind.length else text
    raise TypeError(f"no sample value for {column} ({kind!r}): pass one")


def _within(column, value):
    """`value` moved into the column's declared range (models/rules.py), distinct per value."""
    from poser_web.models.rules import bounds

    low, high = bounds(column)
    if low is not None and value < low:
        value = low + value
    if high is not None and value > high:
        value = high if low is None else low + (value - low) % (high - low + 1)
    return value


_record_counter = iter(range(1, 10**9))


def create_record(session, model, **values):
    """A saved `model` row: `values` plus a sample value for every other required column.

    A required foreign key gets a new record of the table it refers to (made the
    same way), unless `values` gives the relationship or the key.
    """
    from sqlalchemy import inspect as sa_inspect

    mapper = sa_inspect(model)
    given = set(values)
    for rel in mapper.relationships:
        if rel.key in values:
            given |= {c.key for c in rel.local_columns}
    n = next(_record_counter)
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if (attr.key in given or column.primary_key or column.nullable
                or column.default is not None or column.server_default is not None):
            continue
        if column.foreign_keys:
            [fk] = column.foreign_keys
            target = next(m.class_ for m in mapper.registry.mappers
                          if m.local_table is fk.column.table)
            values[attr.key] = getattr(create_record(session, target), fk.column.key)
        else:
            values[attr.key] = sample_value(column, n)
    record = model(**values)
    session.add(record)
    session.flush()
    return record


def _field_text(value, element):
    """How a browser would post `value` in `element` (input, select or textarea)."""
    import datetime as dt
    import enum

    if value is None:
        return ""
    if hasattr(value, "__mapper__"):  # a record: its key
        from sqlalchemy import inspect as sa_inspect

        return str(sa_inspect(value).identity[0])
    if isinstance(value, (enum.Enum, bool)):
        options = [o.get("value", o.get_text()) for o in element.find_all("option")]
        wanted = ((value.name, str(value.value)) if isinstance(value, enum.Enum)
                  else ("true", "True", "1", "yes") if value else ("false", "False", "0", "no"))
        return next((o for o in options if o in wanted), wanted[0])
    if isinstance(value, dt.datetime):
        if element.get("type") == "datetime-local":
            return value.isoformat(timespec="minutes" if not value.second else "seconds")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _split_for_mapping(value, inner_names):
    """A date/time value for a deform mapping of `date` and `time` inputs."""
    import datetime as dt

    if isinstance(value, dict):
        return value
    if value is None:
        return {name: None for name in inner_names}
    if isinstance(value, str):  # typed into the first input, e.g. a malformed date
        return {min(inner_names): value}
    if isinstance(value, dt.datetime) and "time" in inner_names:
        return {"date": value.date().isoformat(), "time": value.strftime("%H:%M:%S")}
    if isinstance(value, dt.date) and "date" in inner_names:
        return {"date": value.isoformat()}
    raise AssertionError(f"cannot post {value!r} in a mapping of {inner_names}")


def page_form(page, form_id=None):
    """The form a test means on `page`: `form_id`, else the master form or the delete
    confirmation, else the first POST form that is not the navbar's logout."""
    forms = [f for f in page.html.find_all("form")
             if (f.get("method") or "").lower() == "post"
             and not (f.get("action") or "").endswith("/logout")]
    if form_id is not None:
        forms = [f for f in forms if f.get("id") == form_id]
    preferred = [f for f in forms if f.get("id") in ("master-form", "delete-form")]
    if not (preferred or forms):
        raise AssertionError(f"no form {form_id or ''} on {page.request.url}")
    return (preferred or forms)[0]


def form_fields(page, values=None, button=None, form_id=None):
    """(action, fields): what the browser would post from `page`'s form, with `values`
    typed into it (field name -> value; a record posts its key, None a blank, a bool
    ticks a checkbox). Hidden fields (CSRF token, version) are posted as the page has them.
    """
    values = dict(values or {})
    form = page_form(page, form_id)
    mapping_names = {}
    depth, stack, fields, radios = 0, [], [], set()
    elements = form.find_all(["input", "select", "textarea", "button"])
    for i, element in enumerate(elements):  # inner names of each top-level mapping
        if element.get("name") == "__start__" and element.get("value", "").endswith(":mapping"):
            name, inner, level = element["value"].split(":")[0], set(), 0
            for later in elements[i + 1:]:
                if later.get("name") == "__start__":
                    level += 1
                elif later.get("name") == "__end__":
                    if level == 0:
                        break
                    level -= 1
                elif later.get("name"):
                    inner.add(later["name"])
            mapping_names.setdefault(name, inner)
    used, overrides = set(), values
    buttons = []
    for element in elements:
        name, kind = element.get("name"), (element.get("type") or "").lower()
        if element.name == "button" or kind in ("submit", "image"):
            if name:
                buttons.append((name, element.get("value", name)))
            continue
        if not name or element.has_attr("disabled"):
            continue
        if name == "__start__":
            fields.append((name, element.get("value", "")))
            mapping = element.get("value", "").split(":")[0]
            stack.append(overrides)
            if depth == 0 and mapping in values:
                used.add(mapping)
                overrides = _split_for_mapping(values[mapping], mapping_names.get(mapping, ()))
            else:
                overrides = {}  # posted as the page has it
            depth += 1
            continue
        if name == "__end__":
            fields.append((name, element.get("value", "")))
            depth -= 1
            overrides = stack.pop()
            continue
        if depth and not overrides:
            current = _current_value(element, kind)
            if current is not None:
                fields.append((name, current))
            continue
        if name in overrides:
            if depth == 0:
                used.add(name)
            value = overrides[name]
            if kind == "checkbox":
                if value:
                    fields.append((name, element.get("value", "on")))
            elif kind == "radio":
                if name not in radios:
                    radios.add(name)
                    fields.append((name, _field_text(value, element)))
            else:
                fields.append((name, _field_text(value, element)))
            continue
        current = _current_value(element, kind)
        if current is not None:
            fields.append((name, current))
    unknown = set(values) - used
    if unknown:
        raise AssertionError(f"the form has no field(s) {sorted(unknown)}")
    if buttons:
        chosen = [b for b in buttons if b[0] == button] if button else buttons[:1]
        if not chosen:
            raise AssertionError(f"the form has no button {button!r}: {buttons}")
        fields.append(chosen[0])
    return form.get("action") or page.request.url, fields


def _current_value(element, kind):
    """The value a browser posts for an untouched element (None: posts nothing)."""
    if element.name == "select":
        chosen = element.find("option", selected=True) or element.find("option")
        return None if chosen is None else chosen.get("value", chosen.get_text())
    if element.name == "textarea":
        return element.get_text()
    if kind in ("checkbox", "radio"):
        return element.get("value", "on") if element.has_attr("checked") else None
    return element.get("value", "")


def post_form(app, url, values=None, status=None, button=None, form_id=None):
    """Open the form page at `url`, type `values` in, submit it as a browser would
    (with the page's CSRF token and version); returns the response."""
    action, fields = form_fields(app.get(url), values, button, form_id)
    return app.post(action, fields, status=status)


def assert_saved(record, values):
    """`record` holds `values` (a record compared by its key)."""
    from sqlalchemy import inspect as sa_inspect

    for name, expected in values.items():
        actual = getattr(record, name)
        if hasattr(expected, "__mapper__"):
            expected = sa_inspect(expected).identity
            actual = actual and sa_inspect(actual).identity
        assert actual == expected, f"{name}: saved {actual!r}, expected {expected!r}"


@contextmanager
def statements_run(engine):
    """The SQL `engine` sends while the block runs, in order (a list filled as it goes)."""
    from sqlalchemy import event

    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
