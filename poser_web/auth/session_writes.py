"""A reading request's session write on SQLite (a GET that must save its session: a new CSRF
token, the last-seen time), so that reading a page never fails or waits long for it.

Waiting `READER_WRITE_WAIT_MS` at most for the write lock and skipped when the database stays
busy (a long import): at worst a message shows twice or a new visitor gets their session on
the next page.
"""
import logging
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from ..db import sqlite_writers
from ..db.engine import WRITE_OPTION

log = logging.getLogger("poser_web.auth.sessions")
READER_WRITE_WAIT_MS = 1000


def write_apart(db, statements):
    """The statements in a short write transaction of their own; False when not written.

    Not in the request's own (read) transaction: a writer that committed since its first
    read makes SQLite refuse that transaction's write at once (SQLITE_BUSY_SNAPSHOT), and
    under concurrent saves that was most of them (a "Saved" message shown twice). The
    page read nothing it writes here but its session row. A session bound to one
    connection (the tests' rolled-back one) writes in it, as before."""
    bind = db.get_bind()
    if (not isinstance(bind, Engine) or not sqlite_writers.shared(bind)
            or sqlite_writers.holds_write(db.connection())):
        return write_if_free(db, statements)  # in its transaction, as it wrote
    def write():
        with bind.execution_options(**{WRITE_OPTION: True}).connect() as connection:
            driver = connection.connection.driver_connection  # PRAGMAs before the BEGIN
            with _short_wait(lambda sql: driver.execute(sql).fetchone()), connection.begin():
                for statement in statements:
                    connection.execute(statement)
    return _attempted(write)


def write_if_free(db, statements):
    """The statements in the request's own transaction, given up after
    `READER_WRITE_WAIT_MS` (or at once when SQLite refuses them: see write_apart)."""
    connection = db.connection()

    def write():
        with _short_wait(lambda sql: connection.exec_driver_sql(sql).first()):
            for statement in statements:
                db.execute(statement)
    return _attempted(write)


def _attempted(write):
    """True once `write()` ran; False, logged, when the database was too busy for it."""
    try:
        write()
        return True
    except OperationalError as error:
        log.info("session not saved, database busy: %s", error.orig)
        return False


@contextmanager
def _short_wait(run):
    """SQLite's busy_timeout at READER_WRITE_WAIT_MS for the block, then back as it was."""
    timeout = run("PRAGMA busy_timeout")[0]
    run(f"PRAGMA busy_timeout={READER_WRITE_WAIT_MS}")
    try:
        yield
    finally:
        run(f"PRAGMA busy_timeout={int(timeout)}")
