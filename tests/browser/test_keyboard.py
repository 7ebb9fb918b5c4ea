"""The widget form by keyboard alone, in Chromium: fields, adding and removing component rows
(the focus lands on a sensible place each time), and a failed save focusing the error summary."""
from playwright.sync_api import expect

ACTIVE = "(() => { const e = document.activeElement; return [e.tagName, e.id, e.getAttribute('aria-label') || e.textContent.trim(), e.value || ''] })()"


def active(page):
    return page.evaluate(ACTIVE)


def tab_to(page, name, backwards=False, limit=40):
    """Press Tab (or Shift+Tab) until the focused element is named `name`; fail after `limit`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if active(page)[2] == name:
            return
    raise AssertionError(f"Tab never reached {name!r} (ended on {active(page)})")


def test_widget_form_by_keyboard(page):
    page.set_default_timeout(30_000)  # a busy CI machine
    page.goto("/widgets/new")
    description = page.get_by_label("Description").first
    expect(description).to_be_focused()  # the one autofocus of the form
    page.keyboard.type("Keyboard widget")

    tab_to(page, "Add Component")
    page.keyboard.press("Enter")
    rows = page.locator(".deform-seq-container > .deform-seq-item")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("input[type=text]").first).to_be_focused()
    page.keyboard.type("K-1")
    page.keyboard.press("Tab")
    page.keyboard.type("first by keyboard")

    tab_to(page, "Add Component")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("input[type=text]").first).to_be_focused()
    page.keyboard.type("K-2")
    page.keyboard.press("Tab")
    page.keyboard.type("second by keyboard")
    expect(page.locator(".poser-row-count")).to_have_text("2")

    # Remove row 1: the focus goes to the next row (now row 1), not to <body>.
    tab_to(page, "Remove component row 1", backwards=True)
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    first_code = rows.nth(0).locator("input[type=text]").first
    expect(first_code).to_be_focused()
    expect(first_code).to_have_value("K-2")
    expect(page.locator(".poser-row-count")).to_have_text("1")
    expect(rows.nth(0).locator(".poser-seq-remove")).to_have_attribute("aria-label", "Remove component row 1")

    # Remove the last row: the focus goes to Add Component.
    tab_to(page, "Remove component row 1")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(0)
    expect(page.get_by_role("button", name="Add Component")).to_be_focused()

    # A row without its code, then Save: the summary gets the focus and links to the field.
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("no code")
    tab_to(page, "Save")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator(".poser-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(__import__("re").compile(r"^Error: New widget"))
    link = summary.get_by_role("link", name="Component row 1: Item Code is required.")
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    code = rows.nth(0).locator("input[type=text]").first
    expect(code).to_be_focused()
    expect(code).to_have_attribute("aria-invalid", "true")


def test_skip_link_moves_to_main(page):
    page.goto("/widgets")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
