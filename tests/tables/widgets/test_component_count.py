"""The stored component count (poser_widget.component_count) follows every writer.

Database triggers keep it; these tests write through the web forms and raw
SQL and compare it with a real count. (The importer's bulk writes are in
test_transfer.py.)
"""
import pytest
from sqlalchemy import func, select, text

from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import add_widget, csrf_token, widget_form


def wrong_counts(session):
    """(description, stored, actual) for every widget whose stored count is wrong."""
    actual = (select(func.count()).where(Component.widget_uuid == Widget.uuid)
              .correlate(Widget).scalar_subquery())
    session.flush()
    return session.execute(select(Widget.description, Widget.component_count, actual)
                           .where(Widget.component_count != actual)).all()


def stored_count(session, uuid):
    return session.scalar(select(Widget.component_count).where(Widget.uuid == uuid))


@pytest.fixture
def token(testapp):
    return csrf_token(testapp)


def test_web_create_edit_and_delete_keep_the_count(testapp, dbsession, token):
    testapp.post("/widgets/new", widget_form(token, "Made", components=[
        {"item_code": "A", "description": "a"}, {"item_code": "B", "description": "b"}]), status=303)
    made = dbsession.scalars(select(Widget).where(Widget.description == "Made")).one()
    assert stored_count(dbsession, made.uuid) == 2

    kept = made.components[0]
    testapp.post(f"/widgets/{made.uuid}/edit", widget_form(token, "Made", version=made.version, components=[
        {"uuid": kept.uuid, "item_code": kept.item_code, "description": kept.description},
        {"item_code": "C", "description": "c"}, {"item_code": "D", "description": "d"}]), status=303)
    assert stored_count(dbsession, made.uuid) == 3

    other = add_widget(dbsession, "Other", components=[("X", "x")])
    dbsession.refresh(made)
    testapp.post(f"/widgets/{made.uuid}/delete",
                 [("csrf_token", token), ("version", str(made.version))], status=303)
    assert stored_count(dbsession, other.uuid) == 1
    assert wrong_counts(dbsession) == []


def test_raw_sql_inserts_moves_and_deletes_keep_the_count(dbsession):
    first = add_widget(dbsession, "First", components=[("A", "a"), ("B", "b")])
    second = add_widget(dbsession, "Second")
    moved = first.components[0].uuid
    dbsession.execute(text("UPDATE poser_component SET widget_uuid = :to WHERE uuid = :uuid"),
                      {"to": second.uuid, "uuid": moved})
    assert (stored_count(dbsession, first.uuid), stored_count(dbsession, second.uuid)) == (1, 1)

    dbsession.execute(text("UPDATE poser_component SET description = 'renamed'"))  # no move
    dbsession.execute(text("DELETE FROM poser_component WHERE widget_uuid = :w"), {"w": first.uuid})
    assert (stored_count(dbsession, first.uuid), stored_count(dbsession, second.uuid)) == (0, 1)
    assert wrong_counts(dbsession) == []

