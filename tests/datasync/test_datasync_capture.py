"""Change capture: every declared table (`__datasync__ = True`) is captured by database
triggers, whoever writes (web form, ORM, importer's bulk statements, raw SQL), in the same
transaction — and one saved record is one change, however many child rows it wrote."""
import re
import threading
from pathlib import Path

import pytest
import webtest
from sqlalchemy import ForeignKey, Integer, MetaData, String, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from poser_web import main
from poser_web.datasync.capture import Captured, missing_triggers
from poser_web.datasync.declaration import declarations
from poser_web.datasync.entities import entity
from poser_web.db.engine import get_engine
from poser_web.models import DatasyncChange
from poser_web.models.meta import NAMING_CONVENTION, uuid_column
from poser_web.tables.widgets.models import Component, Widget
from poser_web.tables.widgets.views import WidgetView
from poser_web.transfer import run_import
from tests.datasync_support import add_widgets, fresh, reset, writer
from tests.helpers import add_user, add_widget, csrf_token, log_in, widget_form
from tests.sample.models import Specimen, SpecimenPart
from tests.views.test_specimen_forms import specimen_form
from tests.waiting import blocked_in, wait_until

WIDGETS = WidgetView.describe()
DATASYNC = Path(__file__).resolve().parents[2] / "poser_web" / "datasync"


def captured(db, after=0):
    """(entity, key, action) of every change after `after` (a Session or a Connection)."""
    if isinstance(db, Session):
        db.flush()
    return [tuple(row) for row in db.execute(
        select(DatasyncChange.entity, DatasyncChange.entity_key, DatasyncChange.action)
        .where(DatasyncChange.id > after).order_by(DatasyncChange.id))]


def last_id(db):
    if isinstance(db, Session):
        db.flush()
    return db.scalar(select(DatasyncChange.id).order_by(DatasyncChange.id.desc()).limit(1)) or 0


@pytest.fixture(scope="module")
def own_database(scratch_databases):
    """A database of the run's kind (with the Specimen tables) that tests may commit to."""
    engine = get_engine({"sqlalchemy.url": fresh(scratch_databases)})
    yield engine
    engine.dispose()


@pytest.fixture
def own(own_database):
    reset(own_database)
    return own_database


def since(engine, start):
    with engine.connect() as connection:
        return captured(connection, start)


def start_of(engine):
    with engine.connect() as connection:
        return last_id(connection)


# -- the declaration ---------------------------------------------------------------------------

def test_the_declaration_is_derived_from_the_models():
    found = declarations()
    assert found["widget"].captured == (
        Captured("poser_widget", entity="widget", ignore=("component_count",)),
        Captured("poser_component", entity="widget", key="widget_uuid", child=True))
    assert found["test_specimen"].captured == (
        Captured("poser_test_specimen", entity="test_specimen"),
        Captured("poser_test_specimen_part", entity="test_specimen", key="specimen_uuid",
                 child=True))
    widget = entity("widget")
    assert "component_count" not in {c.name for c in widget.columns}   # kept by triggers
    assert [(c.name, c.table.name, c.parent_key.name) for c in widget.children] == [
        ("components", "poser_component", "widget_uuid")]


def test_a_model_anywhere_declares_itself_and_nothing_else_does():
    class ScratchBase(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    class Gauge(ScratchBase):
        __tablename__ = "poser_test_gauge"
        __datasync__ = True
        __audit_children__ = ("dials",)
        __audit_exclude__ = ("dial_total",)
        code: Mapped[str] = mapped_column(String(20), primary_key=True)
        dial_total: Mapped[int] = mapped_column(Integer, default=0)
        dials: Mapped[list["Dial"]] = relationship(back_populates="gauge")

    class Dial(ScratchBase):
        __tablename__ = "poser_test_dial"
        uuid: Mapped[str] = uuid_column()
        gauge_code: Mapped[str] = mapped_column(ForeignKey("poser_test_gauge.code"))
        gauge: Mapped[Gauge] = relationship(back_populates="dials")

    class Undeclared(ScratchBase):
        __tablename__ = "poser_test_undeclared"
        uuid: Mapped[str] = uuid_column()

    found = declarations()
    assert found["test_gauge"].captured == (
        Captured("poser_test_gauge", entity="test_gauge", key="code", pk="code",
                 ignore=("dial_total",)),
        Captured("poser_test_dial", entity="test_gauge", key="gauge_code", child=True))
    assert "test_undeclared" not in found and "test_dial" not in found
    assert set(declarations(ScratchBase.metadata.tables)) == {"test_gauge"}   # a migration's view
    assert set(declarations({"poser_widget": Widget.__table__})) == {"widget"}


def test_the_datasync_code_names_no_table_of_its_own():
    named = {str(path.relative_to(DATASYNC)): re.findall(r"widget|component|item_code",
                                                           path.read_text(), re.IGNORECASE)
             for path in DATASYNC.rglob("*.py")}
    assert {path: names for path, names in named.items() if names} == {}


def test_every_declared_table_here_has_its_capture(engine):
    with engine.connect() as connection:
        there = set(connection.dialect.get_table_names(connection))
        expected = [c for d in declarations().values() if d.table.name in there for c in d.captured]
        assert {c.table for c in expected} >= {"poser_widget", "poser_component",
                                              "poser_test_specimen", "poser_test_specimen_part"}
        assert missing_triggers(connection, expected) == []


# -- one saved record, one change ---------------------------------------------------------------

def test_a_widget_saved_with_its_components_is_one_change(own):
    start = start_of(own)
    with writer(own) as session:
        widget = add_widget(session, "Captured", components=[("A", "a"), ("B", "b"), ("C", "c")])
        key = widget.uuid
        session.commit()
        assert since(own, start) == [("widget", key, "upsert")]

        start = start_of(own)
        widget.description = "renamed"
        widget.components[0].description = "changed"
        widget.components.pop()
        widget.components.append(Component(item_code="D", description="d"))
        session.commit()
        assert since(own, start) == [("widget", key, "upsert")]

        start = start_of(own)
        session.delete(widget)
        session.commit()
    assert since(own, start) == [("widget", key, "delete")]   # the last word on it


def test_a_specimen_saved_with_its_parts_is_one_change(own):
    (holder,) = add_widgets(own, 1, components=0)
    start = start_of(own)
    with writer(own) as session:
        specimen = Specimen(name="Sampled", widget_uuid=holder,
                            parts=[SpecimenPart(code="A"), SpecimenPart(code="B")])
        session.add(specimen)
        session.commit()
        key = specimen.uuid
        assert since(own, start) == [("test_specimen", key, "upsert")]
        start = start_of(own)
        specimen.parts[0].count = 3
        session.commit()
    assert since(own, start) == [("test_specimen", key, "upsert")]


@pytest.fixture
def web(own, app_settings):
    """The app on a database it commits to (each request's own transaction), logged in."""
    app = main({}, **{**app_settings, "sqlalchemy.url": own.url.render_as_string(False)})
    with writer(own) as session:
        add_user(session, "admin", admin=True)
        session.commit()
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com",
                                                 "REMOTE_ADDR": "192.0.2.10"})
    log_in(client, "admin")
    yield client
    app.registry["db_engine"].dispose()


def test_each_form_save_is_one_change(web, own):
    token = csrf_token(web)
    start = start_of(own)
    response = web.post("/widgets/new", widget_form(token, "From the web", components=[
        {"item_code": f"W{i}", "description": "w"} for i in range(4)]), status=303)
    key = response.location.rsplit("/", 1)[1]
    assert since(own, start) == [("widget", key, "upsert")]

    with own.connect() as connection:
        rows = connection.execute(select(Component.uuid, Component.item_code)
                                  .where(Component.widget_uuid == key)
                                  .order_by(Component.item_code)).all()
    start = start_of(own)
    web.post(f"/widgets/{key}/edit", widget_form(token, "Edited", version=1, components=[
        {"uuid": rows[0].uuid, "item_code": "W0", "description": "changed"},
        {"uuid": rows[1].uuid, "item_code": "W1", "description": "w"},
        {"item_code": "W9", "description": "new"}]), status=303)
    assert since(own, start) == [("widget", key, "upsert")]

    start = start_of(own)
    response = web.post("/specimens/new", specimen_form(
        csrf_token(web, "/specimens/new"), name="Formed", widget=key,
        parts=[{"code": "P1", "count": "1"}, {"code": "P2"}]), status=303)
    specimen = response.location.rsplit("/", 1)[1]
    assert since(own, start) == [("test_specimen", specimen, "upsert")]


def test_the_importers_bulk_writes_are_one_change_per_widget(own, tmp_path):
    keep = "a" * 32
    path = tmp_path / "widgets.csv"
    path.write_text("type,uuid,description,active,item_code\n"
                    f"widget,{keep},Imported,true,\ncomponent,,part,true,P1\n"
                    "component,,part,true,P2\nwidget,,Another,true,\n")
    start = start_of(own)
    run_import(own, WIDGETS, str(path))
    with own.connect() as connection:
        widgets = set(connection.scalars(text("SELECT uuid FROM poser_widget")))
    changes = since(own, start)
    assert sorted(k for _, k, _ in changes) == sorted(widgets) and keep in widgets
    start = start_of(own)
    path.write_text(f"type,uuid,description,active,item_code\nwidget,{keep},Renamed,true,\n")
    run_import(own, WIDGETS, str(path))  # renames it and deletes its components, in bulk
    assert since(own, start) == [("widget", keep, "upsert")]


def test_a_batch_execution_is_one_change_per_widget(own, tmp_path, monkeypatch, capsys):
    from poser_web.cli import main as cli
    from poser_web.models import User

    monkeypatch.setenv("POSER_DATABASE_URL", own.url.render_as_string(hide_password=False))
    monkeypatch.setenv("POSER_BATCH_DIR", str(tmp_path / "store"))
    with writer(own) as session:
        session.add(User(username="bob", password_hash="x"))
        session.commit()
    keep = "b" * 32
    path = tmp_path / "widgets.csv"
    path.write_text("type,uuid,description,active,item_code\n"
                    f"widget,{keep},Batched,true,\ncomponent,,part,true,P1\n"
                    "component,,part,true,P2\n")
    ini = str(Path(__file__).resolve().parents[2] / "development.ini")
    assert cli(["import", ini, "widgets", str(path), "--batch"]) == 0
    number = re.search(r"Batch (\d+):", capsys.readouterr().out).group(1)
    start = start_of(own)
    assert cli(["batch", "execute", ini, number, "--runas", "bob"]) == 0
    assert since(own, start) == [("widget", keep, "upsert")]


# -- raw SQL and other writers ---------------------------------------------------------------------

def test_raw_sql_is_captured_including_both_widgets_of_a_moved_component(own):
    first, second = add_widgets(own, 2, components=1)
    start = start_of(own)
    with own.begin() as connection:
        connection.execute(text("UPDATE poser_component SET widget_uuid = :to "
                                "WHERE widget_uuid = :frm"), {"to": second, "frm": first})
    assert {("widget", first, "upsert"), ("widget", second, "upsert")} <= set(since(own, start))
    start = start_of(own)
    with own.begin() as connection:
        connection.execute(text("DELETE FROM poser_component WHERE widget_uuid = :w"), {"w": second})
        connection.execute(text("DELETE FROM poser_widget WHERE uuid = :w"), {"w": second})
    changes = since(own, start)
    assert changes[0][:2] == ("widget", second) and changes[-1] == ("widget", second, "delete")


def test_a_raw_sql_write_after_an_app_save_is_captured_too(own):
    """The app's writers fold only their own transaction's changes: a raw SQL writer that
    comes next is captured, whatever the app did before."""
    (key,) = add_widgets(own, 1, components=1)
    start = start_of(own)
    with own.begin() as connection:   # no ORM, no call: a writer that knows nothing of datasync
        connection.execute(text("UPDATE poser_widget SET description = 'raw' WHERE uuid = :w"),
                           {"w": key})
    assert set(since(own, start)) == {("widget", key, "upsert")}


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


def test_two_writers_each_change_captured_once_in_commit_order(own):
    """Two transactions writing at once: ids follow commit order (a consumer that has read up
    to an id can never meet a smaller one later), and nothing is logged twice."""
    first, second = add_widgets(own, 2, components=0)
    start = start_of(own)
    slow = Session(own.execution_options(poser_write=True))
    slow.execute(text("UPDATE poser_widget SET description = 'slow' WHERE uuid = :w"), {"w": first})
    done = threading.Event()

    def fast_writer():
        with Session(own.execution_options(poser_write=True)) as fast:
            fast.execute(text("UPDATE poser_widget SET description = 'fast' WHERE uuid = :w"),
                         {"w": second})
            fast.commit()
        done.set()

    thread = threading.Thread(target=fast_writer)
    thread.start()
    # Blocked on the first writer's lock (the driver, or WriterLock.take on SQLite), not done.
    wait_until(lambda: blocked_in(thread, "do_execute", "do_execute_no_params", "take") or done.is_set(),
               "the second writer to reach the lock")
    assert not done.is_set()  # the second writer waits for the first to commit
    slow.commit()
    slow.close()
    thread.join(20)
    assert done.is_set()
    assert since(own, start) == [("widget", first, "upsert"), ("widget", second, "upsert")]


def test_a_widget_row_written_twice_by_raw_sql_in_one_transaction(own):
    """PostgreSQL's triggers keep one change per record per transaction for every writer;
    SQLite's keep a row per statement for a writer that does not fold (never fewer)."""
    (key,) = add_widgets(own, 1, components=0)
    start = start_of(own)
    with own.begin() as connection:
        for n in range(3):
            connection.execute(text("UPDATE poser_widget SET description = :d WHERE uuid = :w"),
                               {"d": f"raw {n}", "w": key})
    changes = since(own, start)
    expected = 1 if own.dialect.name == "postgresql" else 3
    assert changes == [("widget", key, "upsert")] * expected


def test_bulk_writers_fold_with_one_call(own):
    """A Core writer that calls one_change_per_record gets one change per record on both."""
    from poser_web.models import one_change_per_record

    (key,) = add_widgets(own, 1, components=0)
    start = start_of(own)
    with own.execution_options(poser_write=True).begin() as connection:
        one_change_per_record(connection)
        for n in range(3):
            connection.execute(text("UPDATE poser_widget SET description = :d WHERE uuid = :w"),
                               {"d": f"bulk {n}", "w": key})
            connection.execute(text("INSERT INTO poser_component (uuid, widget_uuid, item_code, "
                                    "description, active) VALUES (:u, :w, :c, 'c', :a)"),
                               {"u": f"{n}" * 32, "w": key, "c": f"C{n}", "a": True})
    assert since(own, start) == [("widget", key, "upsert")]


@pytest.mark.only_db("sqlite")
def test_a_writer_that_cannot_begin_gets_the_databases_own_error(own):
    """A BEGIN that fails (SQLite busy) rolls back with no transaction to forget: the caller
    sees "database is locked", which the daemon knows to wait out, not a TypeError."""
    holder = own.connect().execution_options(poser_write=True)
    holding = holder.begin()   # takes SQLite's write lock
    try:
        with own.connect() as other:
            driver = other.connection.driver_connection
            driver.execute("PRAGMA busy_timeout=10")
            try:
                with pytest.raises(OperationalError, match="locked"):
                    other.execution_options(poser_write=True).begin()
            finally:
                driver.execute("PRAGMA busy_timeout=15000")
    finally:
        holding.rollback()
        holder.close()
