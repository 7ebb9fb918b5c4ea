"""SQLite writers of one process queue on an in-process lock (db/sqlite_writers.py).

Every statement here that takes SQLite's write lock (BEGIN IMMEDIATE, a write) runs with
busy_timeout=0: a writer that reached SQLite while another held its write lock would fail
at once with 'database is locked' instead of sleeping in the busy handler. So when all
writers succeed, none of them ever waited inside SQLite. (The queue itself waits as long
as the connection's busy_timeout, the engine's 15 s, when it is not taking the lock.)
"""
import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from poser_web.db import sqlite_writers
from poser_web.db.engine import WRITE_OPTION, get_engine

pytestmark = pytest.mark.only_db("sqlite")

THREADS = 6
ROUNDS = 15


@pytest.fixture
def engine(tmp_path):
    engine = get_engine({"sqlalchemy.url": f"sqlite:///{tmp_path / 'writers.sqlite'}",
                         "sqlalchemy.pool_size": "10"})

    # After sqlite_writers' own listener: the in-process lock is taken by then.
    @event.listens_for(engine, "before_cursor_execute")
    def no_busy_wait(connection, cursor, statement, *args):
        if statement.upper().startswith(("BEGIN IMMEDIATE", "INSERT", "UPDATE", "DELETE")):
            cursor.connection.execute("PRAGMA busy_timeout=0")

    @event.listens_for(engine, "after_cursor_execute")
    def busy_wait_again(connection, cursor, statement, *args):
        cursor.connection.execute("PRAGMA busy_timeout=15000")

    @event.listens_for(engine, "handle_error")
    def busy_wait_after_error(context):
        if context.cursor is not None:
            context.cursor.connection.execute("PRAGMA busy_timeout=15000")

    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
        connection.exec_driver_sql("CREATE TABLE seen (who TEXT, n INTEGER)")
    yield engine
    engine.dispose()


def run_threads(target, count):
    errors = []

    def guarded(index):
        try:
            target(index)
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_concurrent_writers_all_commit_without_meeting_sqlites_lock(engine):
    """Read-modify-write by several threads at once: every one commits, none is refused
    'database is locked', and no increment is lost (each saw the one before)."""
    writer = engine.execution_options(**{WRITE_OPTION: True})
    start = threading.Barrier(THREADS)

    def work(index):
        start.wait()
        for _ in range(ROUNDS):
            with writer.begin() as connection:
                n = connection.execute(text("SELECT n FROM counter")).scalar()
                connection.execute(text("INSERT INTO seen VALUES (:who, :n)"),
                                   {"who": f"t{index}", "n": n})
                connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    assert run_threads(work, THREADS) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == THREADS * ROUNDS
        seen = [n for (n,) in connection.execute(text("SELECT n FROM seen ORDER BY n"))]
    assert seen == list(range(THREADS * ROUNDS))  # one writer at a time, in turn


def test_a_reader_turning_writer_waits_for_the_writer_then_writes(engine):
    """A GET saving its session: deferred BEGIN, then an UPDATE while a writer holds the
    lock. It waits for that writer's COMMIT (it sees its row) instead of failing."""
    writer_in = threading.Event()
    order = []

    def writer(_):
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
            connection.execute(text("UPDATE counter SET n = 41"))
            writer_in.set()
            # Let the reader reach its write and queue behind this transaction.
            for _ in range(200):
                threading.Event().wait(0.001)
            order.append("writer commits")

    def reader(_):
        writer_in.wait(10)
        with engine.begin() as connection:
            connection.execute(text("UPDATE counter SET n = n + 1"))
            order.append("reader wrote")

    errors = run_threads(lambda index: (writer, reader)[index](index), 2)
    assert errors == []
    assert order == ["writer commits", "reader wrote"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 42


def test_lock_is_let_go_at_commit_not_when_the_connection_closes(engine):
    """A worker committing chunk after chunk on one connection (batch populate) lets other
    writers in between its chunks."""
    writer = engine.execution_options(**{WRITE_OPTION: True})
    chunk_done = threading.Event()
    other_done = threading.Event()

    def worker(_):
        with writer.connect() as connection:
            connection.execute(text("INSERT INTO seen VALUES ('worker', 1)"))
            connection.commit()
            chunk_done.set()
            assert other_done.wait(10), "the other writer never got in between chunks"
            connection.execute(text("INSERT INTO seen VALUES ('worker', 3)"))
            connection.commit()

    def other(_):
        chunk_done.wait(10)
        with writer.begin() as connection:
            connection.execute(text("INSERT INTO seen VALUES ('other', 2)"))
        other_done.set()

    assert run_threads(lambda index: (worker, other)[index](index), 2) == []
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT who FROM seen ORDER BY n")).scalars().all()
    assert rows == ["worker", "other", "worker"]


def test_rollback_lets_go_too(engine):
    writer = engine.execution_options(**{WRITE_OPTION: True})
    with writer.connect() as connection:
        connection.begin()
        connection.execute(text("UPDATE counter SET n = 7"))
        connection.rollback()
        done = []
        thread = threading.Thread(target=lambda: done.append(_write_once(writer)))
        thread.start()
        thread.join(10)
    assert done == [True]


def _write_once(writer):
    with writer.begin() as connection:
        connection.execute(text("UPDATE counter SET n = 8"))
    return True


def test_a_writer_waiting_too_long_is_refused_as_sqlite_refuses_it(engine, monkeypatch):
    """Past the wait, 'database is locked' (the 503 page), not a second wait in SQLite; once the
    holder commits, the next writer gets in."""
    monkeypatch.setattr(sqlite_writers.lock_for(engine.url.database), "wait_s", 0.05)
    writer = engine.execution_options(**{WRITE_OPTION: True})
    holding, release = threading.Event(), threading.Event()

    def holder(_):
        with writer.begin() as connection:
            connection.execute(text("UPDATE counter SET n = 1"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=holder, args=(0,))
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(OperationalError, match="database is locked"), \
                writer.begin() as connection:
            connection.execute(text("UPDATE counter SET n = 2"))
    finally:
        release.set()
        thread.join(10)
    assert _write_once(writer)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 8


def test_a_lock_whose_holder_ended_unseen_is_taken_over(engine):
    """A holder whose transaction ended without the lock seeing it (here: committed behind
    SQLAlchemy's back) does not keep writers out for the whole wait."""
    writer = engine.execution_options(**{WRITE_OPTION: True})
    with writer.connect() as holder:
        holder.begin()
        holder.execute(text("UPDATE counter SET n = 1"))
        holder.connection.dbapi_connection.execute("COMMIT")  # unseen by the events
        done = []
        thread = threading.Thread(target=lambda: done.append(_write_once(writer)))
        thread.start()
        thread.join(10)
        assert done == [True]
        holder.rollback()
