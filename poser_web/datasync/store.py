"""The source side's bookkeeping: reading changes, consumer state, parked changes, pruning.

Every write here is its own short transaction on the source (SQLite: BEGIN IMMEDIATE, so it
queues behind web saves instead of failing).
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from ..db.engine import SQLITE_BUSY_TIMEOUT_MS, WRITE_OPTION
from ..models import DatasyncChange, DatasyncConsumer, DatasyncParked, utcnow

CH, CONSUMER, PARKED = DatasyncChange.__table__, DatasyncConsumer.__table__, DatasyncParked.__table__


@dataclass
class Change:
    """One change as consumers see it: `record` is the whole record now (None: deleted)."""
    id: int
    entity: str
    key: str
    action: str
    changed_at: datetime
    record: dict | None = field(default=None, repr=False)

    @property
    def target(self):
        return (self.entity, self.key)


def writing(engine):
    return engine.execution_options(**{WRITE_OPTION: True}).begin()


def read_changes(connection, after, limit):
    rows = connection.execute(select(CH.c.id, CH.c.entity, CH.c.entity_key, CH.c.action,
                                     CH.c.changed_at)
                              .where(CH.c.id > after).order_by(CH.c.id).limit(limit)).all()
    return [Change(*row) for row in rows]


def last_change_id(connection):
    return connection.scalar(select(func.max(CH.c.id))) or 0


def ensure_consumer(engine, name, kind):
    """The consumer's row (created at cursor 0); its cursor. Writes only when something changed,
    so a restart does not queue behind busy writers on SQLite."""
    with engine.connect() as connection:
        row = connection.execute(select(CONSUMER.c.cursor, CONSUMER.c.kind)
                                 .where(CONSUMER.c.name == name)).first()
    if row is not None and row.kind == kind:
        return row.cursor
    with writing(engine) as connection:
        if row is None:
            connection.execute(insert(CONSUMER).values(name=name, kind=kind, cursor=0,
                                                       updated_at=utcnow()))
            return 0
        connection.execute(update(CONSUMER).where(CONSUMER.c.name == name).values(kind=kind))
        return row.cursor


def record_success(engine, name, cursor, wait_ms=None):
    """The consumer's progress. With `wait_ms`, give up (False) rather than wait longer than
    that for SQLite's write lock: under a stream of web saves SQLite's busy handler would make
    the daemon wait up to its full busy timeout, and this row can be written next time."""
    now = utcnow()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite" and wait_ms is not None
        if sqlite:
            connection.connection.driver_connection.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            with connection.execution_options(**{WRITE_OPTION: True}).begin():
                connection.execute(update(CONSUMER).where(CONSUMER.c.name == name).values(
                    cursor=cursor, last_success_at=now, updated_at=now))
            return True
        except OperationalError:
            if not sqlite:
                raise
            return False
        finally:
            if sqlite:
                connection.connection.driver_connection.execute(
                    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def record_error(engine, name, error, kind="unknown"):
    now = utcnow()
    values = dict(last_error=str(error)[:2000], last_error_at=now, updated_at=now)
    with writing(engine) as connection:
        if not connection.execute(update(CONSUMER).where(CONSUMER.c.name == name)
                                  .values(values)).rowcount:
            # Never opened (e.g. refused at once): shown on the page all the same.
            connection.execute(insert(CONSUMER).values(name=name, kind=kind, cursor=0, **values))


# -- parked changes ----------------------------------------------------------

def blocked_targets(connection, consumer):
    """(entity, key) of every record with a parked change: its later changes wait behind it."""
    rows = connection.execute(select(PARKED.c.entity, PARKED.c.entity_key).distinct()
                              .where(PARKED.c.consumer == consumer))
    return {tuple(row) for row in rows}


def park(engine, consumer, changes, status, error, attempts=0):
    """Park `changes` (already-parked ones are left as they are)."""
    if not changes:
        return
    with writing(engine) as connection:
        ids = [c.id for c in changes]
        there = set(connection.scalars(select(PARKED.c.change_id).where(
            PARKED.c.consumer == consumer, PARKED.c.change_id.in_(ids))))
        rows = [dict(consumer=consumer, change_id=c.id, entity=c.entity, entity_key=c.key,
                     action=c.action, changed_at=c.changed_at, status=status, attempts=attempts,
                     error=str(error)[:2000], parked_at=utcnow())
                for c in changes if c.id not in there]
        if rows:
            connection.execute(insert(PARKED), rows)


def parked(connection, consumer=None, status=None):
    query = select(PARKED).order_by(PARKED.c.consumer, PARKED.c.change_id)
    if consumer is not None:
        query = query.where(PARKED.c.consumer == consumer)
    if status is not None:
        query = query.where(PARKED.c.status == status)
    return connection.execute(query).mappings().all()


def parked_changes(rows):
    return [Change(r["change_id"], r["entity"], r["entity_key"], r["action"], r["changed_at"])
            for r in rows]


def unpark(engine, consumer, change_ids):
    with writing(engine) as connection:
        connection.execute(delete(PARKED).where(PARKED.c.consumer == consumer,
                                                PARKED.c.change_id.in_(change_ids)))


def retry_failed(engine, consumer, change_ids, error):
    """A retry failed again: back to parked, one more attempt counted."""
    with writing(engine) as connection:
        connection.execute(update(PARKED).where(
            PARKED.c.consumer == consumer, PARKED.c.change_id.in_(change_ids)).values(
            status="parked", attempts=PARKED.c.attempts + 1, error=str(error)[:2000]))


def request_retry(db, consumer, change_id):
    """Retry (the Datasync page): every parked change of that record is applied again.

    `db` is a Connection or a Session (ORM statements: a web request's transaction sees them).
    """
    P = DatasyncParked
    row = db.execute(select(PARKED).where(PARKED.c.consumer == consumer,
                                          PARKED.c.change_id == change_id)).mappings().first()
    if row is None:
        return False
    db.execute(update(P).where(P.consumer == consumer, P.entity == row["entity"],
                               P.entity_key == row["entity_key"]).values(status="retry")
               .execution_options(synchronize_session=False))
    return True


def skip(db, consumer, change_id):
    """Skip (the Datasync page): drop that change; later ones of the record are retried."""
    P = DatasyncParked
    row = db.execute(select(PARKED).where(PARKED.c.consumer == consumer,
                                          PARKED.c.change_id == change_id)).mappings().first()
    if row is None:
        return False
    db.execute(delete(P).where(P.id == row["id"]).execution_options(synchronize_session=False))
    db.execute(update(P).where(P.consumer == consumer, P.entity == row["entity"],
                               P.entity_key == row["entity_key"]).values(status="retry")
               .execution_options(synchronize_session=False))
    return True


# -- pruning and status ------------------------------------------------------

def prune(engine):
    """Delete the changes every consumer has passed; how many went.

    With no consumer registered yet nothing is pruned: the first consumer starts at the
    beginning of the log.
    """
    with writing(engine) as connection:
        low = connection.scalar(select(func.min(CONSUMER.c.cursor)))
        if low is None:
            return 0
        return connection.execute(delete(CH).where(CH.c.id <= low)).rowcount


def status(connection, now=None):
    """Per consumer row: name, kind, cursor, pending, lag (s), last success/error, parked."""
    now = now or utcnow()
    result = []
    for row in connection.execute(select(CONSUMER).order_by(CONSUMER.c.name)).mappings():
        pending = connection.scalar(select(func.count()).select_from(CH)
                                    .where(CH.c.id > row["cursor"]))
        oldest = connection.scalar(select(func.min(CH.c.changed_at)).where(CH.c.id > row["cursor"]))
        parked_rows = parked(connection, row["name"])
        result.append({
            **row, "pending": pending,
            "lag": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            "parked": parked_rows,
        })
    return result
