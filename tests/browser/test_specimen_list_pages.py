"""A table declared by names (tests/sample) in Chromium: filters by keyboard, at phone width."""
import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete
from sqlalchemy.orm import Session

from tests.sample.models import Size, Specimen, SpecimenPart

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def specimens(engine):
    """Committed specimens; deleted again before the widgets are (they refer to them)."""
    with Session(engine) as session, session.begin():
        for i in range(30):
            session.add(Specimen(name=f"Specimen {i:02d}", weight=Decimal(i) / 4 if i % 5 else None,
                                 quantity=i, active=i % 2 == 0, received=date(2026, 1, 1 + i % 28),
                                 color=("red", "green", "blue")[i % 3], size=list(Size)[i % 3],
                                 notes="A rather long note about this specimen " * 3))
    yield
    with engine.begin() as connection:
        connection.execute(delete(SpecimenPart.__table__))
        connection.execute(delete(Specimen.__table__))


def names(page):
    return page.locator("#grid tbody tr td:first-child").all_inner_texts()


def test_filter_by_keyboard_at_phone_width(page, specimens):
    page.set_viewport_size(PHONE)
    page.goto("/specimens")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    more = page.get_by_text("More filters")
    expect(page.get_by_label("Weight: how to match")).to_be_hidden()  # folded away until asked for
    more.focus()
    page.keyboard.press("Enter")
    to = page.get_by_label("Weight: to")
    expect(to).to_be_hidden()  # only "between" has a second value

    operator = page.get_by_label("Weight: how to match")
    operator.focus()
    operator.select_option("between")  # as arrow keys on a focused select would
    expect(to).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    expect(to).to_be_focused()
    page.keyboard.type("3")
    page.get_by_label("red").check()
    page.get_by_label("blue").check()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Only the filters in use travel in the URL.
    expect(page).to_have_url(re.compile(r"weight\.op=between&weight=2&weight\.to=3&color=red&color=blue"))
    assert not re.search(r"[?&](name|name\.op|notes|notes\.op|active|q)=", page.url)
    assert names(page) == ["Specimen 08", "Specimen 09", "Specimen 11", "Specimen 12"]
    expect(page.get_by_label("Weight: to")).to_have_value("3")  # open while filters are on
    expect(page.get_by_text("More filters (2 on)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # "is empty" needs no value.
    page.get_by_label("Weight: how to match").select_option("empty")
    expect(page.get_by_label("Weight: from")).to_be_hidden()
    page.get_by_label("red").uncheck()
    page.get_by_label("blue").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert "weight.op=empty" in page.url and "weight=" not in page.url
    assert names(page) == [f"Specimen {i:02d}" for i in range(0, 30, 5)]
