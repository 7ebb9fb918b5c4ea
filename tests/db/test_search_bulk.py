"""Big bulk writes (`poser import`, batch execution) keep the search index right.

On SQLite a write that is big next to a table drops the table's FTS triggers inside the
writer's transaction and rebuilds the index once before commit (load_deferral.py,
`LoadDeferral`); small writes keep the triggers. On PostgreSQL a write of twice as many
rows as the table had drops its trigram indexes and builds them again before commit, as the migrations define
them; the same checks run there.
"""
import csv
import io
import uuid

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from poser_web.db import search_index
from poser_web.db.search import contains
from poser_web.db.search_index import _sqlite_triggers
from poser_web.models import DatasyncChange
from poser_web.tables.widgets.models import Component, Widget
from poser_web.tables.widgets.views import WidgetView
from poser_web.transfer import FileLayout, LayoutError, run_import
from tests.helpers import add_widget

INDEXED = (("poser_widget", "description"), ("poser_component", "item_code"),
           ("poser_component", "description"))
WORDS = ["sprocket", "gear", "flange", "bolt", "washer", "spring", "lever", "Écrou", "größe"]
TERMS = ("sprocket", "GEAR", "écr", "GRÖSSE", "ear fl", "part 1", "ic0001", "-02", "zzz")

WIDGETS = WidgetView.describe()


def write_file(path, widgets, start=0, components=3, suffix="", bad_last=False):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FileLayout(WIDGETS).header)
    for w in range(start, start + widgets):
        w_uuid = uuid.uuid5(uuid.NAMESPACE_OID, f"w{w}").hex
        words = " ".join(WORDS[(w * k) % len(WORDS)] for k in (1, 3, 7))
        writer.writerow(("widget", w_uuid, f"{words} {w}{suffix}", "true", ""))
        for c in range(components):
            c_uuid = uuid.uuid5(uuid.NAMESPACE_OID, f"c{w}-{c}").hex
            writer.writerow(("component", c_uuid, f"{WORDS[(w + c) % len(WORDS)]} part {c}{suffix}",
                             "true", f"IC{w:04d}-{c:02d}"))
    if bad_last:
        writer.writerow(("widget", "not-a-uuid", "broken", "maybe", ""))
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def dropped_triggers(engine):
    """Record the index rebuilds run on `engine` ("rebuild") and the triggers dropped ("drop")."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "VALUES ('rebuild')" in statement or (
                statement.startswith("CREATE INDEX") and "gin_trgm_ops" in statement):
            seen.append("rebuild")
        elif (statement.startswith("DROP TRIGGER") and "_fts_" in statement) or (
                statement.startswith("DROP INDEX") and statement.endswith("_trgm")):
            seen.append("drop")

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def like_matches(session, table, column, q):
    """The rows containing `q` by a plain scan (Python's lower on both sides, like search.py)."""
    rows = session.execute(text(f"SELECT uuid, {column} FROM {table}")).all()
    return sorted(key for key, value in rows if q.lower() in value.lower())


def search_matches(session, table, column, q):
    model = Widget if table == "poser_widget" else Component
    attribute = getattr(model, column)
    return sorted(session.scalars(select(model.uuid).where(contains(attribute, q))))


def assert_index_right(engine):
    with Session(engine) as session:
        assert_session_index_right(session)


def assert_session_index_right(session):
    """Search finds exactly what a scan finds; FTS5's integrity check passes (SQLite)."""
    for table, column in INDEXED:
        for q in TERMS:
            assert search_matches(session, table, column, q) == \
                like_matches(session, table, column, q), (table, column, q)
    if session.bind.dialect.name == "sqlite":
        for table, column in INDEXED:
            fts = search_index.fts_table_name(table, column)
            session.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


def assert_triggers_there(engine):
    with engine.connect() as connection:
        assert_session_triggers_there(connection)


def assert_session_triggers_there(connection):
    """The FTS triggers (SQLite), the trigram indexes as the migrations made them (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        found = dict(connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%\\_trgm'")).all())
        assert found == {search_index.trigram_index_name(table, column): (
            f"CREATE INDEX {search_index.trigram_index_name(table, column)} ON public.{table} "
            f"USING gin ({column} gin_trgm_ops)") for table, column in INDEXED}
        return
    if connection.dialect.name != "sqlite":
        return
    names = set(connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    for table, column in INDEXED:
        assert set(_sqlite_triggers(table, column)) <= names


def widget_count(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Widget.__table__))


def test_a_big_import_rebuilds_the_index_once_and_search_finds_exactly_its_rows(
        fresh, small_threshold, tmp_path):
    seen, stop = dropped_triggers(fresh)
    try:
        run_import(fresh, WIDGETS, write_file(tmp_path / "a.csv", 300))
    finally:
        stop()
    assert seen.count("rebuild") == 3  # three indexes, rebuilt once each
    assert widget_count(fresh) == 300
    assert_index_right(fresh)
    assert_triggers_there(fresh)
    # An update run of every row: deletes and inserts of the index, rebuilt again.
    seen, stop = dropped_triggers(fresh)
    try:
        run_import(fresh, WIDGETS, write_file(tmp_path / "b.csv", 300, suffix=" v2", components=2))
    finally:
        stop()
    # SQLite: rebuilt again; PostgreSQL: not for updates of as many rows as the table has.
    assert seen.count("rebuild") == (3 if fresh.dialect.name == "sqlite" else 0)
    assert_index_right(fresh)
    with Session(fresh) as session:
        assert search_matches(session, "poser_widget", "description", "v2") == \
            sorted(session.scalars(select(Widget.uuid)))
    assert_triggers_there(fresh)


def test_a_small_import_keeps_the_triggers(fresh, small_threshold, tmp_path):
    run_import(fresh, WIDGETS, write_file(tmp_path / "a.csv", 300))
    seen, stop = dropped_triggers(fresh)
    try:  # 5 widgets and 15 components next to 300 and 900: the triggers do it
        run_import(fresh, WIDGETS, write_file(tmp_path / "b.csv", 5, start=1000, suffix=" new"))
        run_import(fresh, WIDGETS, write_file(tmp_path / "c.csv", 5, suffix=" changed"))
    finally:
        stop()
    assert seen == []
    assert widget_count(fresh) == 305
    assert_index_right(fresh)
    with Session(fresh) as session:
        assert len(search_matches(session, "poser_widget", "description", "changed")) == 5
        assert len(search_matches(session, "poser_component", "description", " new")) == 15


def test_a_failed_big_import_leaves_triggers_and_index_as_before(fresh, small_threshold, tmp_path):
    run_import(fresh, WIDGETS, write_file(tmp_path / "a.csv", 20))
    with Session(fresh) as session:
        before = search_matches(session, "poser_widget", "description", "sprocket")
    # More than one chunk (engine.CHUNK widgets): the first is written, triggers dropped,
    # then a bad line fails the import.
    path = write_file(tmp_path / "b.csv", 1100, start=100, components=1, bad_last=True)
    seen, stop = dropped_triggers(fresh)
    try:
        with pytest.raises(LayoutError):
            run_import(fresh, WIDGETS, path)
    finally:
        stop()
    assert "drop" in seen and "rebuild" not in seen  # dropped, then the failure
    assert widget_count(fresh) == 20
    assert_triggers_there(fresh)
    assert_index_right(fresh)
    with Session(fresh) as session:
        assert search_matches(session, "poser_widget", "description", "sprocket") == before
    # The triggers work: a later small write is indexed.
    run_import(fresh, WIDGETS, write_file(tmp_path / "c.csv", 1, start=5000, suffix=" afterwards"))
    assert_index_right(fresh)


def test_a_dry_run_leaves_triggers_and_index_as_before(fresh, small_threshold, tmp_path):
    run_import(fresh, WIDGETS, write_file(tmp_path / "a.csv", 10))
    run_import(fresh, WIDGETS, write_file(tmp_path / "b.csv", 300, start=100), dry_run=True)
    assert widget_count(fresh) == 10
    assert_triggers_there(fresh)
    assert_index_right(fresh)


def test_change_capture_is_complete_after_a_big_import(fresh, small_threshold, tmp_path):
    with Session(fresh) as session:
        start = session.scalar(select(func.max(DatasyncChange.id))) or 0
    run_import(fresh, WIDGETS, write_file(tmp_path / "a.csv", 300))
    with Session(fresh) as session:
        keys = set(session.scalars(select(DatasyncChange.entity_key).where(
            DatasyncChange.id > start, DatasyncChange.entity == "widget")))
        assert keys == set(session.scalars(select(Widget.uuid)))
        start = session.scalar(select(func.max(DatasyncChange.id)))
    run_import(fresh, WIDGETS, write_file(tmp_path / "b.csv", 150, suffix=" v2"))
    with Session(fresh) as session:
        keys = set(session.scalars(select(DatasyncChange.entity_key).where(
            DatasyncChange.id > start)))
        assert keys == set(session.scalars(select(Widget.uuid).where(
            Widget.description.like("% v2"))))
        assert len(keys) == 150


# Batch execution (the web's widget import batch, same engine, inside a SAVEPOINT) ---------

def batch_file(tmp_path, widgets, extra=""):
    path = tmp_path / "batch.csv"
    write_file(path, widgets, start=7000, components=1)
    return path.read_text(encoding="utf-8") + extra


def test_a_big_batch_execution_rebuilds_the_index(testapp, dbsession, small_threshold, tmp_path):
    from tests.batch.test_batches import post, the_batch, upload

    add_widget(dbsession, "Existing sprocket", components=[("EX-1", "gear part")])
    upload(testapp, batch_file(tmp_path, 200))
    batch = the_batch(dbsession)
    seen, stop = dropped_triggers(dbsession.bind)
    try:
        post(testapp, batch, "execute")
    finally:
        stop()
    assert seen.count("rebuild") == 3
    dbsession.expire_all()
    assert dbsession.scalar(select(func.count()).select_from(Widget.__table__)) == 201
    assert_session_index_right(dbsession)
    assert_session_triggers_there(dbsession.connection())


def test_a_failed_big_batch_execution_leaves_triggers_and_index(testapp, dbsession,
                                                                small_threshold, tmp_path):
    from tests.batch.test_batches import post, the_batch, upload

    gamma = add_widget(dbsession, "Gamma sprocket")
    taken = "c0" * 16
    upload(testapp, batch_file(tmp_path, 200, f"widget,,Epsilon,true,\ncomponent,{taken},P,true,E1\n"))
    batch = the_batch(dbsession)
    gamma.components.append(Component(uuid=taken, item_code="G1", description="Sneaky"))
    dbsession.flush()
    seen, stop = dropped_triggers(dbsession.bind)
    try:
        refused = post(testapp, batch, "execute", status=409)
    finally:
        stop()
    assert "Execution failed and nothing was changed" in refused.text
    assert "drop" in seen and "rebuild" not in seen
    dbsession.expire_all()
    assert dbsession.scalar(select(func.count()).select_from(Widget.__table__)) == 1
    assert_session_index_right(dbsession)
    assert_session_triggers_there(dbsession.connection())
