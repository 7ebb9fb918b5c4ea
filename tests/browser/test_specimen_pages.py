"""A declared table in Chromium: the foreign-key picker, by keyboard; the menu on a phone."""
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from poser_web.tables.widgets.models import Widget
from tests.sample.models import Specimen


def seed_many_widgets(engine, how_many):
    with Session(engine) as session, session.begin():
        session.add_all([Widget(description=f"Widget {n:03}") for n in range(how_many)])


def test_create_a_specimen_picking_its_widget_by_keyboard(page, engine):
    seed_many_widgets(engine, 150)  # more than a select would list: the picker
    page.goto("/specimens/new")
    page.get_by_label("Name").fill("Picked in Chromium")
    page.get_by_label("Weight").fill("1.25")
    picker = page.get_by_role("combobox", name="Widget")
    picker.fill("get 12")
    matches = page.get_by_role("listbox", name="Widget: matches")
    options = matches.get_by_role("option")
    expect(options).to_have_count(10)
    expect(options.first).to_have_text("Widget 120")
    picker.press("ArrowDown")
    picker.press("ArrowDown")
    expect(picker).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    picker.press("Enter")  # picks, does not submit
    expect(picker).to_have_value("Widget 121")
    expect(matches).to_be_hidden()
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Created specimen “Picked in Chromium”.")
    with Session(engine) as session:
        specimen = session.scalars(select(Specimen)).one()
        assert specimen.widget.description == "Widget 121"
        assert str(specimen.weight) == "1.250"
    page.goto(page.url + "/edit")
    expect(page.get_by_role("combobox", name="Widget")).to_have_value("Widget 121")


def test_menu_collapses_behind_a_toggler_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/specimens")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    menu = page.get_by_role("button", name="Menu")
    expect(page.get_by_role("link", name="Specimens")).to_be_hidden()
    menu.click()
    link = page.get_by_role("link", name="Specimens")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("aria-current", "page")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391


def test_specimen_form_fits_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/specimens/new")
    page.get_by_role("button", name="Add Part").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
