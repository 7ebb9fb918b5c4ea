"""Change capture: the database triggers log every write of widgets and components, whoever
writes (web form, ORM, importer's bulk statements, raw SQL), in the same transaction."""
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from poser_web.datasync.capture import CAPTURED, missing_triggers
from poser_web.db.engine import get_engine
from poser_web.models import DatasyncChange
from poser_web.tables.widgets.views import WidgetView
from poser_web.transfer import run_import
from tests.datasync_support import add_widgets, reset
from tests.helpers import add_widget, csrf_token, widget_form

WIDGETS = WidgetView.describe()


def captured(session, after=0):
    session.flush()
    return [(c.entity, c.entity_key, c.action) for c in session.scalars(
        select(DatasyncChange).where(DatasyncChange.id > after).order_by(DatasyncChange.id))]


def last_id(session):
    session.flush()
    return session.scalar(select(DatasyncChange.id).order_by(DatasyncChange.id.desc()).limit(1)) or 0


def test_every_captured_table_has_its_triggers(engine):
    with engine.connect() as connection:
        assert missing_triggers(connection) == []
    assert {c.table for c in CAPTURED} == {"poser_widget", "poser_component"}


def test_orm_writes_are_captured_as_changes_of_the_widget(dbsession):
    start = last_id(dbsession)
    widget = add_widget(dbsession, "Captured", components=[("A", "a")])
    key = widget.uuid
    changes = captured(dbsession, start)
    assert changes and set(changes) == {("widget", key, "upsert")}

    start = last_id(dbsession)
    widget.components[0].description = "changed"  # a component change is its widget's change
    assert set(captured(dbsession, start)) == {("widget", key, "upsert")}

    start = last_id(dbsession)
    dbsession.delete(widget)
    changes = captured(dbsession, start)
    assert changes[-1] == ("widget", key, "delete")  # the last word on it is the delete


def test_web_form_saves_are_captured(testapp, dbsession):
    token = csrf_token(testapp)
    start = last_id(dbsession)
    testapp.post("/widgets/new", widget_form(token, "From the web", components=[
        {"item_code": "W", "description": "w"}]), status=303)
    key = dbsession.scalar(text("SELECT uuid FROM poser_widget WHERE description = 'From the web'"))
    assert ("widget", key, "upsert") in captured(dbsession, start)


def test_raw_sql_is_captured_including_both_widgets_of_a_moved_component(dbsession):
    first = add_widget(dbsession, "First", components=[("A", "a")])
    second = add_widget(dbsession, "Second")
    start = last_id(dbsession)
    dbsession.execute(text("UPDATE poser_component SET widget_uuid = :to WHERE widget_uuid = :frm"),
                      {"to": second.uuid, "frm": first.uuid})
    assert set(captured(dbsession, start)) >= {("widget", first.uuid, "upsert"),
                                              ("widget", second.uuid, "upsert")}
    start = last_id(dbsession)
    dbsession.execute(text("DELETE FROM poser_component WHERE widget_uuid = :w"), {"w": second.uuid})
    dbsession.execute(text("DELETE FROM poser_widget WHERE uuid = :w"), {"w": second.uuid})
    changes = captured(dbsession, start)
    assert changes[0] == ("widget", second.uuid, "upsert") and changes[-1] == ("widget", second.uuid, "delete")


def test_an_update_that_changes_nothing_shipped_is_still_safe(dbsession):
    widget = add_widget(dbsession, "Same")
    start = last_id(dbsession)
    dbsession.execute(text("UPDATE poser_widget SET description = description WHERE uuid = :w"),
                      {"w": widget.uuid})
    # SQLite row triggers log it; PostgreSQL compares the rows and may skip it: never wrong.
    assert set(captured(dbsession, start)) <= {("widget", widget.uuid, "upsert")}


def test_a_rolled_back_write_leaves_no_change(dbsession):
    start = last_id(dbsession)
    savepoint = dbsession.begin_nested()
    add_widget(dbsession, "Rolled back")
    savepoint.rollback()
    assert captured(dbsession, start) == []


@pytest.fixture(scope="module")
def own_database(scratch_databases):
    """A database of the run's kind that tests may commit to."""
    from tests.databases import migrate

    url = scratch_databases.create()
    migrate(url)
    engine = get_engine({"sqlalchemy.url": url})
    yield engine
    engine.dispose()


def test_the_importers_bulk_writes_are_captured(own_database, tmp_path):
    reset(own_database)
    keep = "a" * 32
    path = tmp_path / "widgets.csv"
    path.write_text("type,uuid,description,active,item_code\n"
                    f"widget,{keep},Imported,true,\ncomponent,,part,true,P1\n"
                    "widget,,Another,true,\n")
    run_import(own_database, WIDGETS, str(path))
    with Session(own_database) as session:
        keys = {k for _, k, _ in captured(session)}
        widgets = set(session.scalars(text("SELECT uuid FROM poser_widget")))
    assert keys == widgets and keep in keys
    with Session(own_database) as session:
        start = last_id(session)
    path.write_text(f"type,uuid,description,active,item_code\nwidget,{keep},Renamed,true,\n")
    run_import(own_database, WIDGETS, str(path))  # renames it and deletes its component, in bulk
    with Session(own_database) as session:
        assert set(captured(session, start)) == {("widget", keep, "upsert")}


def test_two_writers_each_change_captured_once_in_commit_order(own_database):
    """Two transactions writing at once: ids follow commit order (a consumer that has read up
    to an id can never meet a smaller one later), and nothing is logged twice."""
    reset(own_database)
    first, second = add_widgets(own_database, 2, components=0)
    with Session(own_database) as session:
        start = last_id(session)
    slow = Session(own_database.execution_options(poser_write=True))
    slow.execute(text("UPDATE poser_widget SET description = 'slow' WHERE uuid = :w"), {"w": first})
    done = threading.Event()

    def fast_writer():
        with Session(own_database.execution_options(poser_write=True)) as fast:
            fast.execute(text("UPDATE poser_widget SET description = 'fast' WHERE uuid = :w"),
                         {"w": second})
            fast.commit()
        done.set()

    thread = threading.Thread(target=fast_writer)
    thread.start()
    time.sleep(0.5)
    assert not done.is_set()  # the second writer waits for the first to commit
    slow.commit()
    slow.close()
    thread.join(20)
    assert done.is_set()
    with Session(own_database) as session:
        assert captured(session, start) == [("widget", first, "upsert"), ("widget", second, "upsert")]
