"""BatchHandler.rows: the chunks execution reads, in sequence order, each row read once."""
import pytest
from sqlalchemy import delete, text

from poser_web.batch.handler import R, RowWriter
from poser_web.batch.table_import import TableImportHandler
from poser_web.tables.widgets.views import WidgetView

STATUSES = ("new", "unchanged", "update", "error", "delete")
EXECUTABLE = ("new", "update", "delete")


@pytest.fixture
def batch(dbsession):
    """A batch of 3,000 rows, statuses in turn, rows 1,001–1,200 removed (a gap)."""
    handler = TableImportHandler(WidgetView.describe())
    connection = dbsession.connection()
    uuid = handler.create(connection, "rows", "tester")
    writer = RowWriter(connection, uuid)
    for n in range(3000):
        writer.add(STATUSES[n % len(STATUSES)], label=f"row {n + 1}")
    writer.flush()
    connection.execute(delete(R).where(R.c.batch_uuid == uuid, R.c.sequence.between(1001, 1200)))
    return handler, connection, uuid


def expected(statuses):
    return [n for n in range(1, 3001)
            if not 1001 <= n <= 1200 and STATUSES[(n - 1) % len(STATUSES)] in statuses]


def test_rows_of_some_statuses_come_in_sequence_order_in_chunks_of_at_most_size(batch):
    handler, connection, uuid = batch
    chunks = list(handler.rows(connection, uuid, statuses=EXECUTABLE, size=100))
    assert all(0 < len(chunk) <= 100 for chunk in chunks)
    assert [row.sequence for chunk in chunks for row in chunk] == expected(EXECUTABLE)
    assert {row.status for chunk in chunks for row in chunk} == set(EXECUTABLE)


def test_every_row_without_statuses(batch):
    handler, connection, uuid = batch
    chunks = list(handler.rows(connection, uuid, size=100))
    assert [row.sequence for chunk in chunks for row in chunk] == expected(STATUSES)
    assert all(len(chunk) == 100 for chunk in chunks[:-1])


def test_a_batch_without_such_rows_gives_no_chunk(batch, dbsession):
    handler, connection, uuid = batch
    assert list(handler.rows(connection, uuid, statuses=("nothing",), size=100)) == []
    empty = handler.create(connection, "empty", "tester")
    assert list(handler.rows(connection, empty, statuses=EXECUTABLE)) == []


@pytest.mark.only_db("postgresql")
def test_reading_the_executable_rows_reads_each_row_about_once(batch):
    """Before, each chunk's query read every remaining row of those statuses and sorted them:
    with statistics that do not know the new rows yet (as right after populate), PostgreSQL
    chose the (batch_uuid, status, sequence) index. 40,600 rows were read for these 1,680, and
    executing 1,000,000 rows was quadratic."""
    handler, connection, uuid = batch

    def fetched():  # rows this transaction read from the table so far
        return connection.scalar(text(
            "SELECT coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = 'poser_batch_row'"))

    before = fetched()
    read = sum(len(chunk) for chunk in handler.rows(connection, uuid, statuses=EXECUTABLE,
                                                     size=60))
    assert read == len(expected(EXECUTABLE))
    assert fetched() - before <= 2 * read
