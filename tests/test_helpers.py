"""The generic test helpers (tests/helpers.py) work on a real table: Widget."""
import pytest
from sqlalchemy import func, select

from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import create_record, form_fields, post_form


def test_create_record_fills_required_columns_and_parents(dbsession):
    component = create_record(dbsession, Component, item_code="X1")
    assert component.item_code == "X1" and component.description
    assert isinstance(component.widget, Widget) and component.widget.description
    given = create_record(dbsession, Widget, description="Given")
    assert create_record(dbsession, Component, widget=given).widget is given


def test_post_form_creates_edits_and_deletes(testapp, dbsession):
    response = post_form(testapp, "/widgets/new", {"description": "Made", "active": False},
                         status=303)
    widget = dbsession.scalars(select(Widget)).one()
    assert (widget.description, widget.active) == ("Made", False)
    assert response.location.endswith(widget.uuid)

    post_form(testapp, f"/widgets/{widget.uuid}/edit", {"description": "Changed", "active": True},
              status=303)
    dbsession.refresh(widget)
    assert (widget.description, widget.active, widget.version) == ("Changed", True, 2)

    post_form(testapp, f"/widgets/{widget.uuid}/delete", status=303)
    assert dbsession.scalar(select(func.count()).select_from(Widget)) == 0


def test_form_fields_keep_the_version_the_page_was_opened_at(testapp, dbsession):
    widget = create_record(dbsession, Widget)
    url = f"/widgets/{widget.uuid}/edit"
    action, fields = form_fields(testapp.get(url), {"description": "First"})
    assert ("version", "1") in fields and any(name == "csrf_token" for name, _ in fields)
    testapp.post(action, fields, status=303)
    assert "Someone else saved" in testapp.post(action, fields, status=409).text


def test_an_unknown_field_is_a_clear_failure(testapp):
    with pytest.raises(AssertionError, match="no field"):
        post_form(testapp, "/widgets/new", {"colour": "red"})


class FakePage:
    """What form_fields reads of a WebTest response: its parsed HTML and URL."""

    def __init__(self, html, url="http://example.com/things/new"):
        from types import SimpleNamespace

        from bs4 import BeautifulSoup

        self.html = BeautifulSoup(html, "html.parser")
        self.request = SimpleNamespace(url=url)


DEFORM_LIKE = """
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="t"></form>
<form method="post" id="master-form" action="/things/new">
  <input type="hidden" name="csrf_token" value="t"><input type="hidden" name="version" value="3">
  <input name="name" value="old"><textarea name="notes">old notes</textarea>
  <input type="checkbox" name="active" value="true" checked>
  <select name="color"><option value="">-</option><option value="red" selected>red</option>
    <option value="blue">blue</option></select>
  <select name="flag"><option value=""></option><option value="true">Yes</option>
    <option value="false">No</option></select>
  <input type="radio" name="size" value="s" checked><input type="radio" name="size" value="l">
  <input type="hidden" name="__start__" value="received:mapping">
    <input type="date" name="date" value=""></input>
  <input type="hidden" name="__end__" value="received:mapping">
  <input type="hidden" name="__start__" value="checked:mapping">
    <input type="date" name="date" value="2026-01-01"><input type="time" name="time" value="10:00">
  <input type="hidden" name="__end__" value="checked:mapping">
  <input type="datetime-local" name="seen" value="">
  <button type="submit" name="save" value="save">Save</button>
</form>"""


def test_form_fields_types_values_as_a_browser_would():
    from datetime import date, datetime

    action, fields = form_fields(FakePage(DEFORM_LIKE), {
        "name": "new", "notes": None, "active": False, "color": "blue", "flag": True,
        "size": "l", "received": date(2026, 3, 4), "checked": datetime(2026, 5, 6, 7, 8, 9),
        "seen": datetime(2026, 1, 2, 3, 4)})
    assert action == "/things/new"
    assert fields == [
        ("csrf_token", "t"), ("version", "3"), ("name", "new"), ("notes", ""),
        ("color", "blue"), ("flag", "true"), ("size", "l"),
        ("__start__", "received:mapping"), ("date", "2026-03-04"), ("__end__", "received:mapping"),
        ("__start__", "checked:mapping"), ("date", "2026-05-06"), ("time", "07:08:09"),
        ("__end__", "checked:mapping"), ("seen", "2026-01-02T03:04"), ("save", "save")]


def test_form_fields_keep_what_is_not_typed():
    _, fields = form_fields(FakePage(DEFORM_LIKE), {"received": "2026-02-30"})
    assert ("name", "old") in fields and ("notes", "old notes") in fields
    assert ("active", "true") in fields and ("color", "red") in fields and ("size", "s") in fields
    assert ("date", "2026-02-30") in fields and ("time", "10:00") in fields
