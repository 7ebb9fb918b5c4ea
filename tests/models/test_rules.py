"""models/rules.py and violations.py without HTTP, as the import engine uses them: many rows
checked against the unique keys with one query per key, values against ranges, and the
database's refusals explained, on SQLite and PostgreSQL."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    event,
    func,
    insert,
    text,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from poser_web.models.defaults import declared_default
from poser_web.models.rules import check_values, find_row_conflicts
from poser_web.models.violations import explain, referrers, referrers_text
from tests.helpers import add_widget, create_record
from tests.sample.models import Specimen


class StatementCounter:
    def __init__(self, connection):
        self.connection, self.count = connection, 0

    def __enter__(self):
        event.listen(self.connection, "before_cursor_execute", self.seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.connection, "before_cursor_execute", self.seen)

    def seen(self, *args):
        self.count += 1


def test_many_rows_are_checked_against_every_unique_key_with_one_query_per_key(dbsession):
    mine = create_record(dbsession, Specimen, name="Mine", reference="C1", lot="L", serial=1)
    taken = create_record(dbsession, Specimen, name="Taken", reference="D1", lot="M", serial=5)
    rows = [{"uuid": mine.uuid, "name": "itself", "reference": "C1", "lot": "L", "serial": 1},
            {"name": "a", "reference": "D1"},  # taken by a record
            {"name": "b", "reference": "C2", "lot": "M", "serial": 5},  # the pair is taken
            {"name": "c", "reference": "C2"},  # C2 is row 3's already
            {"name": "d", "reference": None, "lot": None},  # NULL: never a duplicate
            {"name": "e", "lot": "L", "serial": 2}]
    connection = dbsession.connection()
    with StatementCounter(connection) as counter:
        conflicts = find_row_conflicts(connection, Specimen, rows)
    assert counter.count == 2  # one per unique key
    assert sorted(conflicts) == [1, 2, 3]
    [first] = conflicts[1]
    assert (first.key.keys, first.values, first.existing) == (("reference",), ("D1",), taken.uuid)
    assert first.message("Specimen") == f"Another specimen ({taken.uuid}) has reference D1 already."
    [pair] = conflicts[2]
    assert (pair.key.keys, pair.existing) == (("lot", "serial"), taken.uuid)
    [twice] = conflicts[3]
    assert (twice.row, twice.message("Specimen")) == (
        2, "reference C2 is used by row 3 too: it must be unique.")


def test_many_rows_in_chunks(dbsession):
    create_record(dbsession, Specimen, name="Taken", reference="K1199")
    rows = [{"name": f"n{n}", "reference": f"K{n}"} for n in range(1200)]
    assert list(find_row_conflicts(dbsession.connection(), Specimen, rows)) == [1199]


def test_values_are_checked_against_declared_ranges():
    assert check_values(Specimen, {"rating": 6, "price": Decimal(0), "quantity": -9}) == {
        "rating": "Out of range: enter a number from 1 to 5."}
    assert check_values(Specimen, {"rating": None, "price": None}) == {}


class Scratch(DeclarativeBase):
    metadata = MetaData()


class Defaulted(Scratch):
    __tablename__ = "poser_defaulted"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    a: Mapped[str] = mapped_column(String(10), server_default="'it''s'")
    b: Mapped[bool] = mapped_column(Boolean, server_default=true())
    c: Mapped[int] = mapped_column(Integer, server_default=text("7"))
    d: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("1.50"))
    e: Mapped[date] = mapped_column(Date, default=date.today)
    f: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    g: Mapped[date] = mapped_column(Date, server_default="2026-01-02")
    h: Mapped[str] = mapped_column(String(10), default=lambda context: context.x)


def test_declared_defaults_of_every_kind():
    columns = Defaulted.__table__.c
    assert declared_default(columns.a) == "it's"
    assert declared_default(columns.b) is True
    assert declared_default(columns.c) == 7
    assert declared_default(columns.d) == Decimal("1.50")
    assert declared_default(columns.e) == date.today()
    assert isinstance(declared_default(columns.f), datetime)
    assert declared_default(columns.g) == date(2026, 1, 2)
    assert declared_default(columns.h) is None  # needs the insert's context: unknown
    assert declared_default(columns.id) is None


def refused(dbsession, statement):
    with pytest.raises(IntegrityError) as caught, dbsession.begin_nested():
        dbsession.execute(statement)
    return explain(caught.value, Specimen)


def test_what_the_database_refuses_is_explained(dbsession):
    create_record(dbsession, Specimen, name="First", reference="C1", lot="L", serial=1)
    table = Specimen.__table__
    row = {"uuid": "f" * 32, "name": "x", "active": True, "version": 1}
    unique = refused(dbsession, insert(table).values(**row, reference="C1"))
    assert (unique.kind, unique.keys, unique.message) == (
        "unique", ("reference",), "Another specimen has this reference already.")
    pair = refused(dbsession, insert(table).values(**row, lot="L", serial=1))
    assert (pair.kind, pair.keys) == ("unique", ("lot", "serial"))
    ranged = refused(dbsession, insert(table).values(**row, rating=9))
    assert (ranged.kind, ranged.keys, ranged.message) == (
        "check", ("rating",), "Out of range: enter a number from 1 to 5.")
    by_hand = refused(dbsession, insert(table).values(**row, serial=13))
    assert by_hand.constraint == "ck_poser_test_specimen_serial_not_13"
    assert by_hand.keys == ("serial",)
    missing = refused(dbsession, insert(table).values(uuid="e" * 32, active=True, version=1))
    assert (missing.kind, missing.message) == ("not_null", "Name is required.")
    dangling = refused(dbsession, insert(table).values(**row, widget_uuid="0" * 32))
    assert dangling.kind == "foreign_key"


def test_referrers_name_up_to_five_records_by_label(dbsession):
    widget = add_widget(dbsession, "W", components=[("P", "Part")])
    for name in ("b", "a", "d", "c", "f", "e", "g"):
        create_record(dbsession, Specimen, name=name, widget=widget)
    create_record(dbsession, Specimen, name="spare", spare_part=widget.components[0])
    found = referrers(dbsession, type(widget), [widget.uuid])
    assert [(f.model, f.count, [r.name for r in f.records]) for f in found] == [
        (Specimen, 7, ["a", "b", "c", "d", "e"]), (Specimen, 1, ["spare"])]
    assert referrers_text(found) == ("Still used by 7 specimens (“a”, “b”, “c”, “d”, “e” and 2 "
                                     "more) and 1 specimen (“spare”).")
    assert referrers(dbsession, type(widget), [add_widget(dbsession, "Free").uuid]) == []
