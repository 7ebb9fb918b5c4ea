"""A record filter over a table of more than 100 rows is the form's search-as-you-type picker,
by keyboard, at phone width (issue 18: it was a box for a 32-character key)."""
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from poser_web.tables.widgets.models import Widget
from tests.browser.test_accessibility import violations
from tests.sample.models import Specimen

PHONE = {"width": 390, "height": 844}


def test_filter_by_a_record_of_a_large_table_picked_by_name(page, engine):
    with Session(engine) as session, session.begin():
        session.add_all([Widget(description=f"Widget {n:03}") for n in range(150)])
        session.flush()
        chosen = session.scalars(select(Widget).where(Widget.description == "Widget 121")).one()
        session.add_all([Specimen(name="Held by 121", widget=chosen), Specimen(name="Loose")])
        chosen_uuid = chosen.uuid
    page.set_viewport_size(PHONE)
    page.goto("/specimens")
    page.get_by_text("More filters").click()
    picker = page.get_by_role("combobox", name="Widget", exact=True)
    picker.fill("get 12")
    options = page.get_by_role("listbox", name="Widget: matches").get_by_role("option")
    expect(options.first).to_have_text("Widget 120")
    picker.press("ArrowDown")
    picker.press("ArrowDown")
    picker.press("Enter")  # picks, does not submit
    expect(picker).to_have_value("Widget 121")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert f"widget={chosen_uuid}" in page.url
    assert page.locator("#grid tbody tr td:first-child").all_inner_texts() == ["Held by 121"]
    expect(page.get_by_role("combobox", name="Widget", exact=True)).to_have_value("Widget 121")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert violations(page) == []
