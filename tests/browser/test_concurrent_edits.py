"""Two people editing the same widget in two browsers: nobody's save is silently lost."""
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from poser_web.tables.widgets.models import Widget
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT


@pytest.fixture
def second_page(browser, live_server, logged_in):
    """Another browser window, logged in too."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server, storage_state=logged_in)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def description_box(page):
    return page.locator("#master-form .item-description").get_by_label("Description")


def saved(engine, uuid):
    with Session(engine) as session:
        widget = session.get(Widget, uuid)
        return None if widget is None else (widget.description, [c.description for c in widget.components])


def test_second_save_is_refused_with_input_kept(page, second_page, seed, engine):
    [uuid] = seed([{"description": "Shared", "components": [("A", "first part")]}])
    alice, bob = page, second_page
    alice.goto(f"/widgets/{uuid}/edit")
    bob.goto(f"/widgets/{uuid}/edit")

    description_box(bob).fill("Bob's version")
    with bob.expect_navigation():
        bob.get_by_role("button", name="Save", exact=True).click()
    expect(bob.locator(".alert-success")).to_contain_text("Saved widget")

    description_box(alice).fill("Alice's version")
    alice.locator("tbody tr.deform-seq-item").first.get_by_label("Description").fill("alice part")
    with alice.expect_navigation():
        alice.get_by_role("button", name="Save", exact=True).click()
    conflict = alice.locator("#conflict")
    expect(conflict).to_contain_text("changed while you were editing")
    expect(conflict).to_contain_text("Description: Bob's version")
    expect(description_box(alice)).to_have_value("Alice's version")
    expect(alice.locator("tbody tr.deform-seq-item").first.get_by_label("Description")).to_have_value("alice part")
    assert saved(engine, uuid) == ("Bob's version", ["first part"])

    # Reloading shows Bob's change; saving again from there works.
    with alice.expect_navigation():
        conflict.get_by_role("link", name="Reload the latest version").click()
    expect(description_box(alice)).to_have_value("Bob's version")
    description_box(alice).fill("Alice, after seeing Bob's")
    with alice.expect_navigation():
        alice.get_by_role("button", name="Save", exact=True).click()
    assert saved(engine, uuid) == ("Alice, after seeing Bob's", ["first part"])


def test_delete_of_a_changed_widget_is_refused(page, second_page, seed, engine):
    [uuid] = seed([{"description": "Going", "components": [("A", "a")]}])
    page.goto(f"/widgets/{uuid}/delete")
    second_page.goto(f"/widgets/{uuid}/edit")
    second_page.get_by_role("button", name="Add Component").click()
    new_row = second_page.locator("tbody tr.deform-seq-item").last
    new_row.get_by_label("Item Code").fill("B")
    new_row.get_by_label("Description").fill("added meanwhile")
    with second_page.expect_navigation():
        second_page.get_by_role("button", name="Save", exact=True).click()

    with page.expect_navigation():
        page.locator("#delete-form").get_by_role("button", name="Delete").click()
    expect(page.locator("#conflict")).to_contain_text("Not deleted")
    expect(page.locator("main")).to_contain_text("and its 2 components")
    assert saved(engine, uuid) is not None
