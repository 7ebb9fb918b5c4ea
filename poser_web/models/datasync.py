"""Datasync bookkeeping: the change log the database triggers write, and each consumer's state.

`DatasyncChange` rows are written by triggers only (poser_web/datasync/capture.py), in the same
transaction as the data, for every writer (on SQLite the app's writers then fold their
transaction's rows into one per record: change_grouping.py). Consumers read them after their
cursor; changes every consumer has passed are pruned.
"""
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .auth import utcnow
from .meta import Base

# BIGINT on PostgreSQL; SQLite's rowid is 64-bit already (and only INTEGER autoincrements).
ChangeId = BigInteger().with_variant(Integer(), "sqlite")


class DatasyncChange(Base):
    """One captured change: which record (entity + key) changed, upsert or delete."""

    __tablename__ = "poser_datasync_change"
    # AUTOINCREMENT: SQLite never reuses an id, even after pruning took the highest.
    # (entity, entity_key, id): "has this record a change since id N" (one change per record
    # per transaction) is a short index range however often the record changed before.
    __table_args__ = (Index("ix_poser_datasync_change_entity_key_id", "entity", "entity_key", "id"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(ChangeId, primary_key=True, autoincrement=True,
                                    doc="Increasing: the order changes were committed in.")
    entity: Mapped[str] = mapped_column(String(50), nullable=False,
                                        doc="Kind of record consumers ship, e.g. widget.")
    entity_key: Mapped[str] = mapped_column(String(32), nullable=False,
                                            doc="Key (uuid) of the changed record.")
    action: Mapped[str] = mapped_column(String(6), nullable=False, doc="upsert or delete.")
    changed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False,
                                                 doc="When it was written (UTC).")


class DatasyncConsumer(Base):
    """What the daemon last did for one consumer: shown by the Datasync page and `status`.

    For a consumer that keeps its cursor in its own target (type poser) this is a copy written
    after the target committed, so it never runs ahead of the real one.
    """

    __tablename__ = "poser_datasync_consumer"

    name: Mapped[str] = mapped_column(String(50), primary_key=True, doc="Name in the ini file.")
    kind: Mapped[str] = mapped_column(String(100), nullable=False, doc="Consumer type.")
    cursor: Mapped[int] = mapped_column(ChangeId, nullable=False, default=0, server_default="0",
                                        doc="Last change id applied (or passed).")
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime, doc="Last batch applied.")
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime, doc="Last failure.")
    last_error: Mapped[str | None] = mapped_column(Text, doc="What the last failure said.")
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 doc="When the daemon last wrote this row.")


class DatasyncParked(Base):
    """A change a consumer gave up on after its retries (or one waiting behind it).

    Later changes of the same record wait here behind the first (status `waiting`); Retry asks
    the daemon to apply them again, Skip drops the first. Keeps a copy of the change, since the
    change log itself may be pruned meanwhile.
    """

    __tablename__ = "poser_datasync_parked"
    __table_args__ = (UniqueConstraint("consumer", "change_id",
                                       name="uq_poser_datasync_parked_consumer_change"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(String(50), nullable=False, index=True,
                                          doc="Consumer name.")
    change_id: Mapped[int] = mapped_column(ChangeId, nullable=False, doc="The parked change.")
    entity: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_key: Mapped[str] = mapped_column(String(32), nullable=False)
    action: Mapped[str] = mapped_column(String(6), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False,
                                        doc="parked (failed), waiting (behind a parked change "
                                            "of the same record) or retry (asked for).")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text, doc="The last failure.")
    parked_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class DatasyncCursor(Base):
    """On a node that RECEIVES changes (consumer type poser): how far each source got.

    Written in the same transaction as the data it applied, so a crash can neither skip nor
    repeat a change.
    """

    __tablename__ = "poser_datasync_cursor"

    name: Mapped[str] = mapped_column(String(100), primary_key=True,
                                      doc="Which source feed (the consumer's cursor name).")
    change_id: Mapped[int] = mapped_column(ChangeId, nullable=False,
                                           doc="Last change of that source applied here.")
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
