"""Specimen (every ordinary column type) and its inline child rows, SpecimenPart."""
import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from poser_web.models import Audited, Versioned
from poser_web.models.meta import NAMING_CONVENTION, uuid_column
from poser_web.tables.widgets.models import Component, Widget


class SampleBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Size(enum.Enum):
    small = "small"
    medium = "medium"
    large = "large"


class Specimen(Versioned, Audited, SampleBase):
    """A thing with one column of each supported type, every one but `name` nullable."""

    __tablename__ = "poser_test_specimen"

    uuid: Mapped[str] = uuid_column()
    name: Mapped[str] = mapped_column(String(100), nullable=False, index=True, doc="Its name.")
    notes: Mapped[str | None] = mapped_column(Text, nullable=True, doc="Free text.")
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True, doc="How many.")
    weight: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), nullable=True, doc="Weight in kg.")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                         server_default=true(), doc="In use.")
    received: Mapped[date | None] = mapped_column(Date, nullable=True, doc="Day it arrived.")
    checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True,
                                                        doc="Last checked (UTC).")
    color: Mapped[str | None] = mapped_column(String(10), nullable=True, doc="Its color.",
                                              info={"choices": ("red", "green", "blue")})
    size: Mapped[Size | None] = mapped_column(Enum(Size, native_enum=False, length=10),
                                              nullable=True, doc="Its size.")
    widget_uuid: Mapped[str | None] = mapped_column(
        String(32), ForeignKey(Widget.__table__.c.uuid), nullable=True, index=True,
        doc="The widget it belongs to, if any.")
    widget: Mapped[Widget | None] = relationship(Widget)

    parts: Mapped[list["SpecimenPart"]] = relationship(
        back_populates="specimen", cascade="all, delete-orphan", order_by="SpecimenPart.code")

    # Declared rules (issue 18): a unique key, a composite one, a range, a minimum, defaults,
    # a check written by hand, and a foreign key named otherwise than its table.
    reference: Mapped[str | None] = mapped_column(String(20), unique=True, doc="Its reference.")
    lot: Mapped[str | None] = mapped_column(String(10), doc="The lot it came in.")
    serial: Mapped[int | None] = mapped_column(Integer, doc="Its number in the lot.")
    rating: Mapped[int | None] = mapped_column(Integer, default=3, info={"min": 1, "max": 5},
                                               doc="From 1 to 5.")
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), server_default="0.50",
                                                  info={"min": 0}, doc="Never negative.")
    grade: Mapped[str | None] = mapped_column(String(10), default="standard", doc="Its grade.",
                                              info={"choices": ("premium", "standard", "budget")})
    spare_part_uuid: Mapped[str | None] = mapped_column(
        String(32), ForeignKey(Component.__table__.c.uuid), nullable=True, doc="A spare.")
    spare_part: Mapped[Component | None] = relationship(Component)
    __table_args__ = (UniqueConstraint("lot", "serial"),
                      CheckConstraint("serial IS NULL OR serial <> 13", name="serial_not_13"))

    __audit_children__ = ("parts",)  # parts' changes show in the specimen's history
    __datasync__ = True  # and reach datasync consumers as changes of the specimen
    # No __str__ on purpose: pages must fall back to a sensible label (name).


class SpecimenPart(SampleBase):
    """A child row of a specimen, edited inline in its form."""

    __tablename__ = "poser_test_specimen_part"

    uuid: Mapped[str] = uuid_column()
    specimen_uuid: Mapped[str] = mapped_column(
        String(32), ForeignKey("poser_test_specimen.uuid"), nullable=False, index=True)
    specimen: Mapped[Specimen] = relationship(back_populates="parts")
    code: Mapped[str] = mapped_column(String(20), nullable=False)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
