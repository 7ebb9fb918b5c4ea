"""Batches: a header and its rows, "a sort of temporary spreadsheet" people review before
executing it against the real tables (Rattail's batches). One pair of tables serves every
batch type: a row keeps what it carries as JSON, so the next type needs no migration."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .auth import utcnow
from .meta import Base, uuid_column

STATES = ("populating", "ready", "executing", "executed", "failed")
STATUSES = ("new", "update", "unchanged", "delete", "error")


class Batch(Base):
    """
    One batch: where its rows came from, what state it is in, who made and executed it.
    """

    __tablename__ = "poser_batch"

    uuid: Mapped[str] = uuid_column()
    number: Mapped[int] = mapped_column(Integer, nullable=False, unique=True,
                                        doc="The batch's number, 1, 2, 3... as people name it.")
    batch_type: Mapped[str] = mapped_column(String(50), nullable=False, index=True,
                                            doc="Key of the handler that makes and executes it.")
    description: Mapped[str] = mapped_column(String(255), nullable=False, default="",
                                             doc="What the batch is for.")
    source: Mapped[str | None] = mapped_column(String(255),
                                               doc="Where its rows came from (a file's name).")
    file_name: Mapped[str | None] = mapped_column(String(255),
                                                  doc="The kept file, in the batch file store.")
    file_size: Mapped[int | None] = mapped_column(Integer, doc="Size of the kept file in bytes.")
    params: Mapped[str] = mapped_column(Text, nullable=False, default="{}",
                                        doc="JSON: the handler's options for this batch.")
    state: Mapped[str] = mapped_column(String(20), nullable=False, index=True,
                                       default="populating",
                                       doc="populating, ready, executing, executed or failed.")
    message: Mapped[str | None] = mapped_column(Text, doc="Why it failed or waits (for people).")
    worker: Mapped[str | None] = mapped_column(
        String(200), doc="While executing: the process running it (host, pid, start), so a "
                         "stopped one can be told from a slow one.")
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                          doc="Rows read so far while populating.")
    progress_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                doc="Rows to read (an estimate), 0 if unknown.")
    row_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                           doc="How many rows the batch has.")
    status_counts: Mapped[str] = mapped_column(Text, nullable=False, default="{}",
                                               doc="JSON: {row status: how many rows}.")
    created_by: Mapped[str | None] = mapped_column(String(50), doc="Who made it.")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 index=True, doc="When it was made (UTC).")
    refreshed_at: Mapped[datetime | None] = mapped_column(
        DateTime, doc="When its rows were last compared with the data (UTC).")
    executed_by: Mapped[str | None] = mapped_column(String(50), doc="Who executed it.")
    executed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True,
                                                         doc="When it was executed (UTC).")

    rows: Mapped[list["BatchRow"]] = relationship(
        back_populates="batch", order_by="BatchRow.sequence", passive_deletes=True,
        doc="The batch's rows.")

    def __str__(self):
        return f"Batch {self.number}"


class BatchRow(Base):
    """
    One row of a batch: what it would do to which record, and why.
    """

    __tablename__ = "poser_batch_row"
    __table_args__ = (Index("ix_poser_batch_row_batch_status_sequence",
                            "batch_uuid", "status", "sequence"),)

    batch_uuid: Mapped[str] = mapped_column(
        String(32), ForeignKey("poser_batch.uuid", name="poser_batch_row_fk_batch",
                               ondelete="CASCADE"),
        primary_key=True, doc="The batch the row belongs to.")
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True,
                                          doc="The row's place in its batch, from 1.")
    status: Mapped[str] = mapped_column(String(20), nullable=False,
                                        doc="new, update, unchanged, delete or error.")
    message: Mapped[str | None] = mapped_column(Text, doc="Why the row is an error, or a warning.")
    line: Mapped[int | None] = mapped_column(Integer, doc="The file line the row starts on.")
    entity_uuid: Mapped[str | None] = mapped_column(String(32), index=True,
                                                    doc="Key of the record the row touches.")
    entity_version: Mapped[int | None] = mapped_column(
        Integer, doc="The record's version when the row was compared (None: new).")
    label: Mapped[str] = mapped_column(String(255), nullable=False, default="",
                                       doc="The record's name, to show.")
    values: Mapped[str | None] = mapped_column(Text, doc="JSON: the values the row carries.")
    diff: Mapped[str | None] = mapped_column(Text, doc="JSON: what executing it changes.")

    batch: Mapped[Batch] = relationship(back_populates="rows")
