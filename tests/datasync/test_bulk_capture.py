"""Big bulk writes log their datasync changes themselves (triggers suspended): the changes
are the ones the triggers give, in the file's order, none when the import fails, and the
triggers come back."""
import csv

import pytest
from sqlalchemy import text

from poser_web.datasync import bulk_capture
from poser_web.datasync.capture import installed_captures
from poser_web.transfer import engine, run_import
from poser_web.transfer.layout import LayoutError
from tests.datasync.test_datasync_capture import WIDGETS, since, start_of

HEADER = ["type", "uuid", "description", "active", "item_code"]


def write(path, widgets):
    with open(path, "w", newline="") as stream:
        out = csv.writer(stream, lineterminator="\n")
        out.writerow(HEADER)
        for n, key in enumerate(widgets):
            out.writerow(["widget", key, f"Widget {n}", "true", ""])
            out.writerow(["component", "", "part", "true", f"P{n}"])


def triggers(engine):
    with engine.connect() as connection:
        return {table: found.current for table, found in installed_captures(connection).items()}


def test_a_big_import_and_a_big_delete_are_one_change_per_widget(own, tmp_path):
    keys = [f"{n:032x}" for n in range(1, 2 * bulk_capture.MIN_ROWS + 2)]
    before = triggers(own)
    path = tmp_path / "widgets.csv"
    write(path, keys)
    start = start_of(own)
    run_import(own, WIDGETS, str(path))
    assert sorted(since(own, start)) == [("widget", key, "upsert") for key in keys]
    assert triggers(own) == before  # put back
    write(path, keys[:1])
    start = start_of(own)
    run_import(own, WIDGETS, str(path), delete_missing=True)
    assert sorted(since(own, start)) == sorted(
        [("widget", keys[0], "upsert")] + [("widget", key, "delete") for key in keys[1:]])
    with own.connect() as connection, connection.begin():  # the triggers capture raw writes again
        connection.execute(text("UPDATE poser_widget SET description = 'Raw'"))
    assert since(own, start_of(own) - 1) == [("widget", keys[0], "upsert")]


def widget_count(engine):
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM poser_widget")).scalar()


def test_a_big_import_logs_its_changes_in_the_order_of_its_chunks(own, tmp_path):
    # PostgreSQL logs a chunk's changes while the next chunk is planned (writer.Behind): the
    # change ids still follow the file, chunk after chunk.
    keys = [f"{n:032x}" for n in range(2 * bulk_capture.MIN_ROWS + 1, 0, -1)]
    path = tmp_path / "widgets.csv"
    write(path, keys)
    start = start_of(own)
    run_import(own, WIDGETS, str(path))
    logged = [key for _, key, _ in since(own, start)]
    assert sorted(logged) == sorted(keys)
    chunks = [sorted(keys[at:at + engine.CHUNK]) for at in range(0, len(keys), engine.CHUNK)]
    assert [sorted(logged[at:at + engine.CHUNK]) for at in range(0, len(keys), engine.CHUNK)] \
        == chunks


def test_a_big_import_that_fails_late_leaves_no_change_behind(own, tmp_path):
    keys = [f"{n:032x}" for n in range(1, 2 * bulk_capture.MIN_ROWS + 2)]
    path = tmp_path / "widgets.csv"
    write(path, keys)
    with open(path, "a", newline="") as stream:
        stream.write(f"widget,{'f' * 32},Late,maybe,\n")  # not a boolean: the last chunk fails
    before, start = widget_count(own), start_of(own)
    with pytest.raises(LayoutError):
        run_import(own, WIDGETS, str(path))
    assert since(own, start) == []
    assert widget_count(own) == before


def test_an_import_whose_change_logging_fails_writes_nothing(own, tmp_path, monkeypatch):
    keys = [f"{n:032x}" for n in range(1, 2 * bulk_capture.MIN_ROWS + 2)]
    path = tmp_path / "widgets.csv"
    write(path, keys)
    calls = []

    def failing(self, table, records, *args, **kwargs):
        calls.append(len(records))
        if len(calls) == 2:  # the second chunk's
            raise RuntimeError("no more changes")
        return original(self, table, records, *args, **kwargs)

    original = bulk_capture.DeferredCapture.log_records
    monkeypatch.setattr(bulk_capture.DeferredCapture, "log_records", failing)
    before, start = widget_count(own), start_of(own)
    with pytest.raises(RuntimeError, match="no more changes"):
        run_import(own, WIDGETS, str(path))
    assert since(own, start) == []
    assert widget_count(own) == before
    assert triggers(own) == {table: True for table in triggers(own)}


@pytest.mark.only_db("postgresql")  # SQLite folds a transaction's changes at commit (change_grouping)
def test_bulk_logging_keeps_one_change_per_record_after_the_triggers_logged_some(own):
    # PostgreSQL: changes the triggers logged earlier in the transaction get the last word (a
    # delete after an upsert is relabelled, and back), a key logged twice in one call once.
    from poser_web.tables.widgets.models import Component, Widget

    kept, flipped, back, new, twice = (f"{n:032x}" for n in range(1, 6))
    start = start_of(own)
    with own.connect() as connection, connection.begin():
        for key in (kept, flipped, back):
            connection.execute(text("INSERT INTO poser_widget (uuid, description) "
                                    "VALUES (:key, 'Raw')"), {"key": key})
        connection.execute(text("DELETE FROM poser_widget WHERE uuid = :key"), {"key": back})
        capture = bulk_capture.DeferredCapture(connection)
        assert capture.records(Widget.__table__, [Component.__table__], bulk_capture.MIN_ROWS)
        capture.log_records(Widget.__table__, [(kept, False), (flipped, True), (back, False),
                                               (new, False), (twice, True), (twice, False)])
        capture.finish()
    assert sorted(since(own, start)) == [("widget", key, "delete" if key == flipped else "upsert")
                                         for key in sorted((kept, flipped, back, new, twice))]
