"""Bulk writers keep the declared stored counts themselves (transfer/counts.py): after every
import and batch execution each widget's component_count is its real count, on both databases,
whether the count was suspended (a big write) or left to the triggers (a small one); and the
triggers count again afterwards, for every other writer."""
import csv

import pytest
from sqlalchemy import select, text

from poser_web.batch import runner
from poser_web.batch.handler import load
from poser_web.batch.store import FileStore
from poser_web.batch.table_bulk import TableBulkHandler
from poser_web.batch.table_import import TableImportHandler
from poser_web.db.engine import WRITE_OPTION
from poser_web.models import Batch, BatchRow, Change
from poser_web.models.stored_counts import (
    StoredCount,
    declared_counts,
    is_installed,
    missing_counts,
    wrong_counts,
)
from poser_web.tables.widgets.models import Component, Widget
from poser_web.tables.widgets.views import WidgetView
from poser_web.transfer import counts, run_import
from poser_web.transfer.layout import LayoutError
from tests.databases import emptied_engine

WIDGETS = WidgetView.describe()
HEADER = ["type", "uuid", "description", "active", "item_code"]
[COMPONENT_COUNT] = [c for c in declared_counts() if c.table == "poser_widget"]


def key(kind, n):
    return f"{kind}{n:031x}"  # fixed keys: a file can name what an earlier one made


@pytest.fixture(params=["suspended", "triggers"])
def db(request, database_url, monkeypatch):
    """A committed database; the counts suspended from the first write, or never."""
    monkeypatch.setattr(counts, "MIN_ROWS", 1 if request.param == "suspended" else 10**9)
    with emptied_engine(database_url, (BatchRow, Batch, Change, Component, Widget)) as engine:
        yield engine


def write(path, widgets):
    """widgets: [(widget key or None, [component key or None, ...])]."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        out = csv.writer(stream, lineterminator="\n")
        out.writerow(HEADER)
        for n, (widget, components) in enumerate(widgets):
            out.writerow(["widget", widget or "", f"Widget {n}", "true", ""])
            for m, component in enumerate(components):
                out.writerow(["component", component or "", f"Part {m}", "true", f"P{n}-{m}"])
    return str(path)


def stored(engine):
    with engine.connect() as connection:
        return dict(connection.execute(select(Widget.uuid, Widget.component_count)).all())


def check(engine):
    """Every stored count right, and the triggers in place."""
    with engine.connect() as connection:
        assert wrong_counts(connection, COMPONENT_COUNT) == []
        assert is_installed(connection, COMPONENT_COUNT)


def test_imports_keep_every_count(db, tmp_path):
    # Into an empty database: widgets with 0-4 components, keys given and fresh.
    first = [(key("a", n), [key("c", 10 * n + m) if n % 2 else None for m in range(n % 5)])
             for n in range(30)]
    run_import(db, WIDGETS, write(tmp_path / "first.csv", first))
    check(db)
    assert stored(db)[key("a", 3)] == 3 and stored(db)[key("a", 5)] == 0
    # Components added to some widgets, removed from others (all of them from widget 4),
    # widgets left unchanged, new widgets with and without components.
    with db.connect() as connection:
        owned = {}
        for component, widget in connection.execute(select(Component.uuid, Component.widget_uuid)):
            owned.setdefault(widget, []).append(component)
    second = []
    for n in range(30):
        widget = key("a", n)
        kept = sorted(owned.get(widget, []))
        if n % 3 == 0:
            kept = kept + [None, key("d", n)]     # two more
        elif n % 3 == 1:
            kept = kept[:1] if n != 4 else []     # fewer (none at all for widget 4)
        second.append((widget, kept))
    second += [(key("b", 1), [None, None]), (None, [None]), (None, [])]
    run_import(db, WIDGETS, write(tmp_path / "second.csv", second))
    check(db)
    assert stored(db)[key("a", 3)] == 5 and stored(db)[key("a", 4)] == 0
    # Records the file leaves out are deleted with their components.
    run_import(db, WIDGETS, write(tmp_path / "third.csv", second[:10]), delete_missing=True)
    check(db)
    assert len(stored(db)) == 10
    # Every other writer goes through the triggers again.
    with db.begin() as connection:
        connection.execute(text("INSERT INTO poser_component (uuid, widget_uuid, item_code, "
                                "description, active) VALUES (:c, :w, 'RAW', 'Raw', :t)"),
                           {"c": key("e", 1), "w": key("a", 5), "t": True})
    assert stored(db)[key("a", 5)] == 1
    check(db)


def test_a_component_moved_to_another_widget_is_refused_and_counts_stay(db, tmp_path):
    run_import(db, WIDGETS, write(tmp_path / "first.csv", [
        (key("a", 1), [key("c", 1), key("c", 2)]), (key("a", 2), [key("c", 3)])]))
    before = stored(db)
    moved = [(key("a", 1), [key("c", 1)]), (key("a", 2), [key("c", 3), key("c", 2)])]
    with pytest.raises(LayoutError, match="belongs to another widget"):
        run_import(db, WIDGETS, write(tmp_path / "moved.csv", moved))
    assert stored(db) == before == {key("a", 1): 2, key("a", 2): 1}
    check(db)


def test_a_failed_or_dry_run_import_leaves_counts_and_triggers(db, tmp_path):
    widgets = [(key("a", n), [None] * (n % 3)) for n in range(20)]
    run_import(db, WIDGETS, write(tmp_path / "first.csv", widgets))
    before = stored(db)
    grown = [(widget, [None] * 4) for widget, _ in widgets]
    run_import(db, WIDGETS, write(tmp_path / "grown.csv", grown), dry_run=True)
    assert stored(db) == before
    check(db)
    path = write(tmp_path / "bad.csv", grown)
    with open(path, "a", encoding="utf-8") as stream:
        stream.write("widget,,Broken,maybe,\n")  # the last line is bad: nothing is written
    with pytest.raises(LayoutError):
        run_import(db, WIDGETS, path)
    assert stored(db) == before
    check(db)


def _execute(engine, handler, batch_uuid):
    with engine.connect() as connection:
        connection = connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            handler.execute(connection, batch_uuid, None)


def test_batch_executions_keep_every_count(db, tmp_path):
    run_import(db, WIDGETS, write(tmp_path / "first.csv", [
        (key("a", n), [key("c", 10 * n + m) for m in range(n % 4)]) for n in range(24)]))
    check(db)
    # An import batch: components added and removed, records left out deleted.
    changed = [(key("a", n), [key("c", 10 * n + m) for m in range(n % 4)][1:] + [None] * (n % 2))
               for n in range(16)] + [(None, [None, None, None])]
    handler, store = TableImportHandler(WIDGETS), FileStore(str(tmp_path / "store"))
    with db.connect() as connection:
        connection = connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            uuid, _ = runner.create_from_file(connection, handler, write(tmp_path / "b.csv", changed),
                                              "b.csv", None, store,
                                              params={"delete_missing": True})
        assert runner.populate(connection, handler, uuid, store, commit=connection.commit) is None
        connection.commit()
    _execute(db, handler, uuid)
    check(db)
    assert len(stored(db)) == 17
    assert stored(db)[key("a", 3)] == 3   # 3 components, the first removed, one added
    # A bulk change deleting widgets with their components.
    bulk = TableBulkHandler(WIDGETS)
    doomed = [key("a", n) for n in range(0, 16, 2)]
    with db.connect() as connection, connection.begin():
        uuid = bulk.create(connection, "delete", None, params={"action": "delete"})
        bulk.populate_keys(connection, load(connection, uuid), [doomed])
        bulk.finish_populate(connection, uuid)
    _execute(db, bulk, uuid)
    check(db)
    assert not set(doomed) & set(stored(db))


def test_the_declared_counts_have_their_triggers(engine):
    assert COMPONENT_COUNT == StoredCount(
        "poser_widget", "component_count", "uuid", "poser_component", "widget_uuid")
    with engine.connect() as connection:
        assert missing_counts(connection) == []


def triggers(engine):
    """Every trigger of the widget tables, with whether it fires (PostgreSQL: tgenabled)."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            query = ("SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c "
                     "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relname IN "
                     "('poser_widget', 'poser_component')")
        else:
            query = ("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                     "tbl_name IN ('poser_widget', 'poser_component')")
        return sorted(tuple(row) for row in connection.exec_driver_sql(query))


def test_bulk_writes_leave_every_trigger_as_it_was(db, tmp_path):
    """Counts, datasync capture and search triggers are suspended inside the writer's
    transaction only: afterwards (committed or not) they are all there and fire."""
    before = triggers(db)
    widgets = [(key("a", n), [None] * 3) for n in range(700)]
    run_import(db, WIDGETS, write(tmp_path / "first.csv", widgets))
    assert triggers(db) == before
    run_import(db, WIDGETS, write(tmp_path / "second.csv", [(w, []) for w, _ in widgets]),
               dry_run=True)
    assert triggers(db) == before
    check(db)
