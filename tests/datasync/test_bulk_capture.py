"""Big bulk writes on SQLite log their datasync changes a statement at a time (triggers
suspended): the changes are the ones the row triggers give, and the triggers come back."""
import csv

from sqlalchemy import text

from poser_web.datasync import bulk_capture
from poser_web.datasync.capture import installed_captures
from poser_web.transfer import run_import
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
