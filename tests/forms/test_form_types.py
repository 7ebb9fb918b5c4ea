"""The derived form types on their own: the limits of column types Specimen does not use."""
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import colander
import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Enum,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
)
from sqlalchemy.orm import DeclarativeBase

from poser_web.forms.derive import column_node
from poser_web.forms.types import DecimalNumber, LocalDateTime


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "thing"
    id = Column(String(32), primary_key=True)
    small = Column(SmallInteger)
    big = Column(BigInteger)
    whole = Column(Numeric(5, 0))
    ratio = Column(Float)
    maybe = Column(Boolean, nullable=True)
    mood = Column(Enum("calm", "busy", name="mood"))
    count = Column(Integer, nullable=False)


def check(name, text):
    node = column_node(Thing, name).bind()
    try:
        return node.deserialize(text)
    except colander.Invalid as error:
        return error.asdict()[name]


def test_integer_ranges_follow_the_column_type():
    assert check("small", "32767") == 32767
    assert check("small", "32768").startswith("Out of range: enter a number from -32,768")
    assert check("big", str(2 ** 63 - 1)) == 2 ** 63 - 1
    assert check("big", str(2 ** 63)).startswith("Out of range")


def test_numbers_without_places_floats_and_required_ones():
    assert check("whole", "12345") == Decimal(12345)
    assert check("whole", "1.5") == "Enter a whole number (no decimal places)."
    assert check("whole", "1.000") == Decimal(1)  # trailing zeros are no extra places
    assert check("whole", "123456") == "Too many digits: at most 5 before the decimal point (5 in all)."
    assert check("ratio", "0.25") == 0.25 and check("ratio", "inf").startswith("Enter a number")
    assert check("count", "") == "Count is required."


def test_nullable_boolean_and_enum_without_a_class_are_selects():
    assert [check("maybe", v) for v in ("true", "false", "")] == [True, False, None]
    assert check("maybe", "perhaps") == "Choose Yes or No."
    assert check("mood", "calm") == "calm" and check("mood", "angry") == "Choose one of: calm, busy."


def test_date_times_out_of_range_in_the_display_zone_are_refused():
    node = colander.SchemaNode(LocalDateTime(), name="at").bind(timezone=ZoneInfo("America/New_York"))
    assert node.deserialize("2026-01-01T00:00") == datetime(2026, 1, 1, 5, 0)
    with pytest.raises(colander.Invalid):
        node.deserialize("9999-12-31T23:59")  # past year 9999 in UTC
    assert node.serialize(datetime(2026, 1, 1, 5, 0)) == "2026-01-01T00:00"
    utc = colander.SchemaNode(LocalDateTime(), name="at").bind(timezone=UTC)
    assert utc.deserialize("2026-01-01 00:00:30") == datetime(2026, 1, 1, 0, 0, 30)


def test_big_precisions_are_kept_exactly():
    node = colander.SchemaNode(DecimalNumber(38, 10), name="n")
    assert str(node.deserialize("1234567890123456789012345678.5")) == \
        "1234567890123456789012345678.5000000000"


def test_selects_in_inline_rows_never_block_a_blank_row():
    import deform

    node = column_node(Thing, "mood", in_row=True)
    html = deform.Form(colander.SchemaNode(colander.Mapping(), node)).render()
    assert "<select" in html and "required" not in html.split("<select")[1].split(">")[0]
