"""Declared rules on any form of a model, derived or hand-built, and defaults of every type
preselected on a create form (forms/rules.py, forms/derive.py)."""
from datetime import UTC, date, datetime
from decimal import Decimal

import colander
import deform
import pytest
from pyramid import testing
from sqlalchemy import Boolean, Date, DateTime, Integer, MetaData, Numeric, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from poser_web.forms import make_form, text_node
from poser_web.forms.derive import derived_schema
from tests.helpers import create_record
from tests.sample.models import Specimen


@pytest.fixture
def request_(dbsession):
    testing.setUp(settings={})
    request = testing.DummyRequest()
    request.dbsession = dbsession
    yield request
    testing.tearDown()


def hand_built():
    """A schema written by hand, as `schema = staticmethod(...)` gives one: no rules in it."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(text_node("name", "Name", 100))
    schema.add(text_node("reference", "Reference", 20, missing=None))
    schema.add(colander.SchemaNode(colander.Integer(), name="rating", missing=None))
    return schema


def submitted(**values):
    return [("name", "x")] + [(k, str(v)) for k, v in values.items()]


def test_a_hand_built_form_checks_the_models_unique_keys_and_ranges(request_, dbsession):
    first = create_record(dbsession, Specimen, name="First", reference="C-1")
    form = make_form(hand_built(), request_, model=Specimen,
                     record_url=lambda record: f"/specimens/{record.uuid}")
    with pytest.raises(deform.ValidationFailure) as failure:
        form.validate(submitted(reference="C-1", rating=7))
    errors = failure.value.error.asdict()
    assert errors["reference"] == (f'Specimen <a href="/specimens/{first.uuid}">“First”</a> has this '
                              "reference already: it must be unique.")
    assert errors["rating"] == "Out of range: enter a number from 1 to 5."
    assert make_form(hand_built(), request_, model=Specimen).validate(
        submitted(reference="C-2", rating=5))["reference"] == "C-2"


def test_editing_a_record_keeps_its_own_key(request_, dbsession):
    record = create_record(dbsession, Specimen, name="Mine", reference="C-1")
    form = make_form(hand_built(), request_, instance=record, model=Specimen)
    assert form.validate(submitted(reference="C-1"))["reference"] == "C-1"


def test_a_form_of_a_model_without_rules_is_untouched(request_):
    from poser_web.tables.widgets.models import Widget

    form = make_form(hand_built(), request_, model=Widget)
    assert form.schema.validator is None


class Scratch(DeclarativeBase):
    metadata = MetaData()


class Defaults(Scratch):
    """One default of every kind the create form preselects."""

    __tablename__ = "poser_defaults"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    choice: Mapped[str] = mapped_column(String(10), default="b", info={"choices": ("a", "b")})
    yes: Mapped[bool] = mapped_column(Boolean, default=True)
    maybe: Mapped[bool | None] = mapped_column(Boolean, nullable=True, server_default="0")
    count: Mapped[int] = mapped_column(Integer, server_default="7")
    amount: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1.50"))
    words: Mapped[str] = mapped_column(String(20), server_default="'hello there'")
    text: Mapped[str] = mapped_column(Text, default="A longer text")
    day: Mapped[date] = mapped_column(Date, default=date.today)
    fixed_day: Mapped[date] = mapped_column(Date, default=date(2026, 3, 4))
    moment: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    plain: Mapped[str | None] = mapped_column(String(5), nullable=True)


FIELDS = ("choice", "yes", "maybe", "count", "amount", "words", "text", "day", "fixed_day",
          "moment", "plain")


def rendered(request_, instance=None):
    from bs4 import BeautifulSoup

    form = make_form(derived_schema(Defaults, FIELDS, {}, request_), request_, instance=instance)
    html = BeautifulSoup(form.render(), "html.parser")

    def value(name):
        element = html.find(attrs={"name": name})
        if element.name == "select":
            chosen = element.find("option", selected=True)
            return chosen["value"] if chosen else ""
        if element.name == "textarea":
            return element.get_text()
        if element.get("type") == "checkbox":
            return element.has_attr("checked")
        return element.get("value", "")

    return {name: value(name) for name in FIELDS}


def test_defaults_of_every_type_are_preselected_on_a_create_form(request_):
    shown = rendered(request_)
    assert shown["choice"] == "b" and shown["yes"] is True and shown["maybe"] == "false"
    assert (shown["count"], shown["amount"]) == ("7", "1.50")
    assert (shown["words"], shown["text"]) == ("hello there", "A longer text")
    assert (shown["day"], shown["fixed_day"]) == (date.today().isoformat(), "2026-03-04")
    assert shown["moment"].startswith(datetime.now(UTC).strftime("%Y-%m-%dT"))
    assert shown["plain"] == ""


def test_an_edit_form_shows_no_defaults(request_):
    shown = rendered(request_, instance=Defaults(id=1))
    assert shown["choice"] == "" and shown["count"] == "" and shown["words"] == ""
