"""Change: one saved change to a widget (and its components), kept forever."""
from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .auth import utcnow
from .meta import Base, uuid_column


class Change(Base):
    """
    Who changed which record when, and what: field by field, old and new.

    No foreign key to the record, so the history of a deleted record stays.
    """

    __tablename__ = "poser_change"

    uuid: Mapped[str] = uuid_column()
    changed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 index=True, doc="When it was saved (UTC).")
    username: Mapped[str | None] = mapped_column(String(50), nullable=True,
                                                 doc="Who saved it (None: unknown/system).")
    source: Mapped[str] = mapped_column(String(20), nullable=False,
                                        doc="Where from: web, import, shell.")
    entity: Mapped[str] = mapped_column(String(50), nullable=False,
                                        doc="Kind of record, e.g. widget.")
    entity_uuid: Mapped[str] = mapped_column(String(32), nullable=False, index=True,
                                             doc="Key of the changed record.")
    entity_label: Mapped[str] = mapped_column(String(255), nullable=False,
                                              doc="The record's name when it was changed.")
    action: Mapped[str] = mapped_column(String(10), nullable=False,
                                        doc="create, update or delete.")
    summary: Mapped[str] = mapped_column(String(255), nullable=False,
                                         doc="One line saying what changed.")
    diff: Mapped[str] = mapped_column(Text, nullable=False,
                                      doc="JSON: fields {name: [old, new]}, and for child rows "
                                          "added / changed / removed.")
