"""One datasync change per record per transaction, on SQLite too.

A widget saved with k components must reach the datasync consumers as one change of the widget.
PostgreSQL's capture triggers see it themselves (a transaction-local setting, datasync/capture.py).
SQLite's row triggers cannot tell one transaction from the next, so they log every written row,
and the app's writers fold the rows their transaction logged into one per record (the first
row, with the last action) just before they commit. Raw SQL writers keep a row per written row:
more changes, never a lost one.

`one_change_per_record(connection)` is the one call: inside a writing transaction, before its
first captured write (calling it again does nothing; on PostgreSQL it does nothing at all). ORM
sessions make it automatically at flush (below); Core bulk writers — `poser import`, batch
execution, the datasync `poser` consumer — make it themselves.
"""
import logging
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# A root transaction -> the first change id it can write. Every row at or past it is this
# transaction's: SQLite has one writer, and a transaction that read this before writing cannot
# write at all if another committed meanwhile (SQLITE_BUSY).
_since = weakref.WeakKeyDictionary()

# NOT INDEXED: left to itself, SQLite groups by walking the whole (entity, entity_key, id)
# index, every change still in the log, rather than reading this transaction's few rows by id
# and sorting them: 15 ms per save with 100,000 unshipped changes, growing with the log.
FOLD = (
    # The first row of each record keeps the last word (a record saved then deleted: delete).
    """UPDATE poser_datasync_change AS kept SET action = (
           SELECT later.action FROM poser_datasync_change AS later
           WHERE later.entity = kept.entity AND later.entity_key = kept.entity_key
             AND later.id >= ?1 ORDER BY later.id DESC LIMIT 1)
       WHERE kept.id IN (SELECT min(id) FROM poser_datasync_change NOT INDEXED WHERE id >= ?1
                         GROUP BY entity, entity_key HAVING count(*) > 1)""",
    """DELETE FROM poser_datasync_change WHERE id >= ?1 AND id NOT IN (
           SELECT min(id) FROM poser_datasync_change NOT INDEXED WHERE id >= ?1
           GROUP BY entity, entity_key)""",
)


def one_change_per_record(connection):
    """Capture each record this transaction writes as one datasync change."""
    if connection.dialect.name != "sqlite":
        return
    transaction = connection.get_transaction()
    if transaction is None or transaction in _since:
        return
    # Straight to the driver, as _fold does: once per written transaction, and SQLAlchemy's
    # execution of this one read cost ten times the read.
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM poser_datasync_change")
        _since[transaction] = cursor.fetchone()[0]
    except connection.dialect.loaded_dbapi.OperationalError:
        return  # no change log here (a database not migrated that far)
    finally:
        cursor.close()


def _take(connection):
    """The first change id of the connection's transaction, forgotten; None if unmarked."""
    transaction = connection.get_transaction()   # None when BEGIN itself failed
    return None if transaction is None else _since.pop(transaction, None)


@event.listens_for(Engine, "commit")
def _fold(connection):
    since = _take(connection)
    if since is None:
        return
    # Mid-commit: straight to the driver, inside the transaction being committed.
    cursor = connection.connection.driver_connection.cursor()
    try:
        for statement in FOLD:
            cursor.execute(statement, (since,))
    except Exception:  # unfolded rows are more changes, never fewer: commit all the same
        log.exception("could not fold this transaction's datasync changes")
    finally:
        cursor.close()


@event.listens_for(Engine, "rollback")
def _forget(connection):
    _take(connection)


@event.listens_for(Session, "before_flush")
def _flushing(session, flush_context, instances):
    one_change_per_record(session.connection())


@event.listens_for(Session, "do_orm_execute")
def _orm_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        one_change_per_record(state.session.connection())
