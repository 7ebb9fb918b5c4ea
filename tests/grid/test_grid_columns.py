"""Grid columns made from names: what the model column's type decides."""
import enum

from sqlalchemy import Enum, Integer, Numeric, String
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from poser_web.grid.declared import make_columns, make_filters
from poser_web.grid.filters import ChoiceFilter, IntegerFilter, NumberFilter, TextFilter
from tests.sample.models import Specimen


class Base(DeclarativeBase):
    pass


class Mood(enum.Enum):
    sad = "sad"
    happy = "happy"


class Thing(Base):
    __tablename__ = "thing"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mood: Mapped[Mood | None] = mapped_column(Enum(Mood, name="mood"))
    price: Mapped[float | None] = mapped_column(Numeric(8, 2))
    label: Mapped[str] = mapped_column(String(20))


def test_a_native_enum_sorts_by_its_text_on_postgresql_as_on_sqlite():
    mood = make_columns(Thing, ("mood",))[0]
    assert "CAST(thing.mood AS VARCHAR)" in str(mood.sort.compile(dialect=postgresql.dialect()))
    assert mood.sort_nullable and mood.choices == ((Mood.sad, "sad"), (Mood.happy, "happy"))


def test_types_decide_alignment_link_and_filter():
    label, price = make_columns(Thing, ("label", "price"))
    assert label.link == "view" and not label.numeric and not label.sort_nullable
    assert price.numeric and price.link is None and price.sort_nullable
    filters = make_filters(Specimen, ("name", "quantity", "weight", "color", "size"), zone=None)
    assert [type(f) for f in filters] == [TextFilter, IntegerFilter, NumberFilter, ChoiceFilter,
                                          ChoiceFilter]


def test_a_misspelt_name_says_what_the_model_has():
    import pytest

    with pytest.raises(ValueError, match=r"Thing has no column or relationship 'colour' \(it has: id, label, mood, price\)"):
        make_columns(Thing, ("colour",))
