"""The generic test helpers (tests/helpers.py) work on a real table: Widget."""
import pytest
from sqlalchemy import func, select

from poser_web.models import Component, Widget

from .helpers import create_record, form_fields, post_form


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
