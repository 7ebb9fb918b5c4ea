"""SQLite writers of one process queue on an in-process lock, not in SQLite's busy handler.

SQLite lets one writer in at a time. A writer that finds the lock taken waits in the busy
handler, which *sleeps* (1, 2, 5, 10 … 100 ms steps) and re-checks: with a few threads saving
at once, a save waits tens to hundreds of milliseconds after the lock was already free (the
p95 of the save cycle). Here each write transaction of this process first takes a
`threading.Lock` for its database file, held until its COMMIT or ROLLBACK, so a waiting
writer wakes the moment the previous one ends and then finds SQLite's lock free. Other
processes (the datasync daemon, the CLI) still meet SQLite's own busy handler as before.

Which transactions take it:
- those begun as writers (`BEGIN IMMEDIATE`, see engine.py): before the BEGIN, refused with
  SQLite's own "database is locked" after as long as SQLite's busy_timeout;
- a reader that turns writer (a GET saving its session): before its first INSERT, UPDATE or
  DELETE, waiting at most `LATE_WRITER_WAIT_S`, then going on without it (SQLite's busy
  handler decides, as before).

Released after the COMMIT or ROLLBACK has run (the engine's commit/rollback events run it
themselves, then let go), or when the connection goes back to the pool whatever happened.
"""
import sqlite3
import threading
import time

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

# A lock per database file, shared by every engine of the process on that file.
_LOCKS = {}
_LOCKS_GUARD = threading.Lock()
# How long a reader that starts writing waits for the lock before trying SQLite anyway.
LATE_WRITER_WAIT_S = 1.0
_WRITES = ("insert", "update", "delete", "replace")


# A waiting writer looks this often whether the holder's transaction has ended unseen.
STALE_CHECK_S = 0.5


class WriterLock:
    """One lock and which pool connection holds it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.guard = threading.Lock()  # ownership changes: give_back against take_over
        self.owner = None  # the pool's connection record holding the lock
        self.wait_s = None  # how long a writer waits (install sets it: SQLite's busy_timeout)

    def take(self, record, timeout):
        """Take the lock for `record`; False when it waited `timeout` s in vain.

        Wakes at once when the holder lets go. Should a holder's transaction end without
        this module seeing it (a connection used in some way its events do not tell), the
        waiter takes the lock over once it has seen that twice, STALE_CHECK_S apart, rather
        than wait out the timeout for a lock nobody uses."""
        if self.owner is record:
            return True
        deadline = time.monotonic() + timeout
        suspect = None
        while True:
            left = deadline - time.monotonic()
            if self.lock.acquire(timeout=max(0, min(left, STALE_CHECK_S))):
                self.owner = record
                return True
            if left <= STALE_CHECK_S:
                return False
            holder = self.owner
            if holder is not None and not _in_transaction(holder):
                if suspect is holder and self._take_over(holder, record):
                    return True
                suspect = holder
            else:
                suspect = None

    def _take_over(self, stale, record):
        with self.guard:
            if self.owner is not stale:
                return False
            self.owner = record
            return True

    def give_back(self, record):
        with self.guard:
            if self.owner is record:
                self.owner = None
                self.lock.release()


def _in_transaction(record):
    connection = record.dbapi_connection
    try:
        return connection is not None and connection.in_transaction
    except Exception:  # closed meanwhile
        return False


def _busy_timeout_s(connection):
    cursor = connection.connection.driver_connection.execute("PRAGMA busy_timeout")
    try:
        return cursor.fetchone()[0] / 1000
    finally:
        cursor.close()


def shared(engine):
    """Whether `engine`'s connections share one database file (its writers queue here)."""
    return engine.url.database in _LOCKS


def holds_write(connection):
    """Whether `connection` (a SQLAlchemy Connection) holds its file's writer lock: its
    transaction has written, or began as a writer."""
    writers = _LOCKS.get(connection.engine.url.database)
    return writers is not None and writers.owner is connection.connection._connection_record


def lock_for(path):
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path, WriterLock())


def install(engine, write_option, wait_s):
    """Queue `engine`'s writers (those with `write_option`, and readers turning writer)."""
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None  # a private database per connection: nobody to queue behind
    writers = lock_for(path)
    writers.wait_s = wait_s

    @event.listens_for(engine, "begin")  # installed before engine.py's BEGIN IMMEDIATE
    def take_before_begin(connection):
        if connection.get_execution_options().get(write_option):
            # Refused as SQLite refuses a writer after busy_timeout (the 503 page), rather
            # than trying SQLite and waiting as long again: the holder has its write lock.
            # The connection's own busy_timeout, which a caller may have shortened (a page's
            # session write waits a second), read only when there is a wait.
            record = connection.connection._connection_record
            if not (writers.take(record, 0) or writers.take(
                    record, min(writers.wait_s, _busy_timeout_s(connection)))):
                raise OperationalError("BEGIN IMMEDIATE", None,
                                       sqlite3.OperationalError("database is locked"))

    @event.listens_for(engine, "before_cursor_execute")
    def take_before_first_write(connection, cursor, statement, parameters, context, many):
        if not statement[:7].lower().startswith(_WRITES) or not connection.in_transaction():
            return  # a write outside a transaction (autocommit) would never let go
        record = connection.connection._connection_record
        if writers.owner is not record:
            writers.take(record, LATE_WRITER_WAIT_S)

    @event.listens_for(engine, "commit")
    def commit_then_release(connection):
        _end(connection, "COMMIT", writers)

    @event.listens_for(engine, "rollback")
    def rollback_then_release(connection):
        _end(connection, "ROLLBACK", writers)

    @event.listens_for(engine.pool, "checkin")
    def release_on_checkin(dbapi_connection, record):
        writers.give_back(record)

    return writers


def _end(connection, verb, writers):
    """Run COMMIT/ROLLBACK here so the lock is let go after it, not before.

    SQLAlchemy's own commit()/rollback() that follows finds no transaction and does
    nothing. If ours fails, the lock stays and SQLAlchemy's call raises the error as usual.
    """
    if writers.owner is None or connection.invalidated or connection.closed:
        return  # an invalidated connection lets go when the pool takes it back
    record = connection.connection._connection_record
    if writers.owner is not record:
        return
    dbapi_connection = connection.connection.dbapi_connection
    try:
        if dbapi_connection.in_transaction:
            dbapi_connection.execute(verb)
    except Exception:
        return
    writers.give_back(record)
