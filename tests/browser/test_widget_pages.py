"""The widget pages in headless Chromium, used as a back-office user would."""
import re

from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poser_web.tables.widgets.models import Component, Widget

WIDGET_PAGE = re.compile(r"/widgets/([0-9a-f]{32})$")
LIST_PAGE = re.compile(r"/widgets(\?.*)?$")


# -- helpers -------------------------------------------------------------------


def follow(locator):
    """Click a link or submit button and wait until the next page has loaded."""
    with locator.page.expect_navigation():
        locator.click()


def widget_description_input(page):
    # The widget's own field; each component row has a "Description" input too.
    return page.locator("#master-form .item-description").get_by_label("Description")


def component_rows(page):
    return page.locator("#master-form tbody.deform-seq-container > tr.deform-seq-item")


def row_values(row):
    return (
        row.locator("input[name=item_code]").input_value(),
        row.locator("input[name=description]").input_value(),
        row.locator("input[name=active]").is_checked(),
    )


def fill_row(row, item_code, description, active=True):
    row.get_by_label("Item Code").fill(item_code)
    row.get_by_label("Description").fill(description)
    row.get_by_label("Active").set_checked(active)


def shown_components(page):
    """(item code, description, active) of the component table on a widget's page."""
    rows = page.locator("section").filter(has_text="Components").locator("tbody tr")
    return [tuple(" ".join(cell.split()) for cell in row.locator("td").all_inner_texts())
            for row in rows.all()]


def stored(engine, widget_uuid):
    """The widget as committed: (description, active, {uuid: (item_code, description, active)})."""
    with Session(engine) as session:
        widget = session.get(Widget, widget_uuid)
        if widget is None:
            return None
        return (widget.description, widget.active,
                {c.uuid: (c.item_code, c.description, c.active) for c in widget.components})


def count_rows(engine, model):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def save(page):
    """Click Save, wait for the page it leads to; the status the POST was answered with."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        follow(page.get_by_role("button", name="Save", exact=True))
    return answer.value.status


def grid_cells(page, column):
    """The cells of one column (1-based) of the list page's table."""
    return page.locator(f"#grid tbody tr td:nth-child({column})")


def grid_column(page, column):
    return [" ".join(text.split()) for text in grid_cells(page, column).all_inner_texts()]


def grid_header(page, column):
    return page.locator("#grid thead th").nth(column - 1)


# -- create --------------------------------------------------------------------


def test_create_widget_with_components_added_and_one_removed(page, engine):
    page.goto("/widgets")
    expect(page.get_by_role("status")).to_have_text("There are no widgets yet.")
    follow(page.get_by_role("link", name="New Widget"))
    expect(page).to_have_url(re.compile(r"/widgets/new$"))
    expect(page.get_by_role("heading", name="New widget")).to_be_visible()

    widget_description_input(page).fill("  Garden Gnome Deluxe  ")
    add = page.get_by_role("button", name="Add Component")
    for _ in range(3):
        add.click()
    rows = component_rows(page)
    expect(rows).to_have_count(3)
    expect(page.locator(".poser-row-count")).to_have_text("3")
    fill_row(rows.nth(0), "GN-100", "Pointy hat")
    fill_row(rows.nth(1), "GN-200", "Fishing rod")
    fill_row(rows.nth(2), " GN-300 ", "Ceramic base", active=False)

    rows.nth(1).get_by_role("button", name="Remove component row 2").click()
    expect(rows).to_have_count(2)
    expect(page.locator(".poser-row-count")).to_have_text("2")
    assert [row_values(r) for r in rows.all()] == [
        ("GN-100", "Pointy hat", True), (" GN-300 ", "Ceramic base", False),
    ]

    assert save(page) == 303
    expect(page).to_have_url(WIDGET_PAGE)
    widget_uuid = WIDGET_PAGE.search(page.url).group(1)
    expect(page.get_by_role("status")).to_contain_text("Created widget “Garden Gnome Deluxe”.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Widget: Garden Gnome Deluxe")
    assert shown_components(page) == [("GN-100", "Pointy hat", "Yes"), ("GN-300", "Ceramic base", "No")]

    description, active, components = stored(engine, widget_uuid)
    assert (description, active) == ("Garden Gnome Deluxe", True)
    assert sorted(components.values()) == [
        ("GN-100", "Pointy hat", True), ("GN-300", "Ceramic base", False),
    ]
    assert count_rows(engine, Widget) == 1
    assert count_rows(engine, Component) == 2


def test_a_row_left_blank_does_not_block_saving(page, engine):
    page.goto("/widgets/new")
    widget_description_input(page).fill("Lantern")
    add = page.get_by_role("button", name="Add Component")
    add.click()
    add.click()  # one too many: left blank
    fill_row(component_rows(page).nth(0), "LA-1", "Glass chimney")
    # What the browser checks before it submits: every `required` input filled.
    refused = page.evaluate(
        "[...document.querySelectorAll('#master-form input:invalid')].map(i => i.name)")
    assert refused == [], f"the browser will not submit; empty required inputs: {refused}"
    assert save(page) == 303
    assert count_rows(engine, Component) == 1


# -- edit ----------------------------------------------------------------------


def test_edit_a_component_in_place(page, engine, seed):
    [widget_uuid] = seed([{"description": "Bird Feeder", "components": [
        ("BF-1", "Roof"), ("BF-2", "Tray"), ("BF-3", "Hook"),
    ]}])
    before = stored(engine, widget_uuid)[2]
    tray_uuid = next(uuid for uuid, values in before.items() if values[0] == "BF-2")

    page.goto(f"/widgets/{widget_uuid}")
    follow(page.get_by_role("link", name="Edit", exact=True))
    expect(page).to_have_url(re.compile(rf"/widgets/{widget_uuid}/edit$"))
    rows = component_rows(page)
    expect(rows).to_have_count(3)
    assert [row_values(r) for r in rows.all()] == [
        ("BF-1", "Roof", True), ("BF-2", "Tray", True), ("BF-3", "Hook", True),
    ]
    tray = rows.filter(has=page.locator("input[name=item_code][value='BF-2']"))
    tray.get_by_label("Description").fill("Seed tray, cedar")

    assert save(page) == 303
    expect(page).to_have_url(re.compile(rf"/widgets/{widget_uuid}$"))
    expect(page.get_by_role("status")).to_contain_text("Saved widget “Bird Feeder”.")
    assert shown_components(page) == [
        ("BF-1", "Roof", "Yes"), ("BF-2", "Seed tray, cedar", "Yes"), ("BF-3", "Hook", "Yes"),
    ]

    after = stored(engine, widget_uuid)[2]
    assert after.keys() == before.keys()  # updated in place: no key churned
    assert after[tray_uuid] == ("BF-2", "Seed tray, cedar", True)
    assert {k: v for k, v in after.items() if k != tray_uuid} == \
        {k: v for k, v in before.items() if k != tray_uuid}


def test_new_widget_form_starts_in_description(page):
    page.goto("/widgets/new")
    assert page.evaluate("document.activeElement.name") == "description"


# -- validation ----------------------------------------------------------------


def disable_browser_validation(page):
    # The inputs carry `required`: let the empty field reach the server.
    page.evaluate("document.getElementById('master-form').noValidate = true")


def test_row_error_on_create_keeps_everything_typed_and_saves_nothing(page, engine):
    page.goto("/widgets/new")
    disable_browser_validation(page)
    widget_description_input(page).fill("Wind Chime")
    add = page.get_by_role("button", name="Add Component")
    for _ in range(3):
        add.click()
    rows = component_rows(page)
    fill_row(rows.nth(0), "WC-1", "Brass tube")
    fill_row(rows.nth(1), "", "Clapper without a code")
    fill_row(rows.nth(2), "WC-3", "Sail", active=False)

    assert save(page) == 400
    expect(page).to_have_url(re.compile(r"/widgets/new$"))
    # The error summary (focused, no longer role=alert) names the row and links to its field.
    summary = page.locator(".poser-error-summary")
    expect(summary).to_contain_text("The form was not saved.")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Component row 2: Item Code is required."])
    expect(rows).to_have_count(3)

    # The message sits in the offending row, in its Item Code cell.
    bad = rows.nth(1)
    expect(bad).to_have_class(re.compile(r"\btable-danger\b"))
    expect(bad.locator("td").first.locator(".invalid-feedback")).to_have_text("Item Code is required.")
    for good in (rows.nth(0), rows.nth(2)):
        expect(good.locator(".invalid-feedback")).to_have_count(0)
        expect(good).not_to_have_class(re.compile(r"\btable-danger\b"))

    expect(widget_description_input(page)).to_have_value("Wind Chime")
    assert [row_values(r) for r in rows.all()] == [
        ("WC-1", "Brass tube", True), ("", "Clapper without a code", True), ("WC-3", "Sail", False),
    ]
    assert count_rows(engine, Widget) == 0
    assert count_rows(engine, Component) == 0

    # Correct the one field and the same page saves all three rows.
    rows.nth(1).get_by_label("Item Code").fill("WC-2")
    assert save(page) == 303
    expect(page).to_have_url(WIDGET_PAGE)
    assert shown_components(page) == [
        ("WC-1", "Brass tube", "Yes"), ("WC-2", "Clapper without a code", "Yes"), ("WC-3", "Sail", "No"),
    ]


def test_row_error_on_edit_changes_nothing_then_saves_in_place(page, engine, seed):
    [widget_uuid] = seed([{"description": "Rain Gauge", "components": [
        ("RG-1", "Funnel"), ("RG-2", "Tube"),
    ]}])
    before = stored(engine, widget_uuid)

    page.goto(f"/widgets/{widget_uuid}/edit")
    disable_browser_validation(page)
    widget_description_input(page).fill("Rain Gauge, large")
    rows = component_rows(page)
    rows.nth(0).get_by_label("Description").fill("Funnel, wide")
    rows.nth(1).get_by_label("Item Code").fill("   ")  # blank once trimmed

    assert save(page) == 400
    expect(rows.nth(1).locator(".invalid-feedback")).to_have_text("Item Code is required.")
    expect(rows.nth(0).locator(".invalid-feedback")).to_have_count(0)
    expect(widget_description_input(page)).to_have_value("Rain Gauge, large")
    expect(rows.nth(0).get_by_label("Description")).to_have_value("Funnel, wide")
    assert stored(engine, widget_uuid) == before

    rows.nth(1).get_by_label("Item Code").fill("RG-2b")
    assert save(page) == 303
    description, _, components = stored(engine, widget_uuid)
    assert description == "Rain Gauge, large"
    assert components.keys() == before[2].keys()  # the re-rendered rows kept their uuids
    assert sorted(components.values()) == [("RG-1", "Funnel, wide", True), ("RG-2b", "Tube", True)]


# -- list ------------------------------------------------------------------------


def sixty_widgets():
    """Widget 01 … Widget 60 with 0–4 components each; every seventh inactive."""
    widgets = []
    for n in range(1, 61):
        components = [(f"W{n:02d}-{c}", f"Part {c} of widget {n}") for c in range(n % 5)]
        if n == 17:
            components.append(("SPECIAL-42", "The odd one"))
        widgets.append({"description": f"Widget {n:02d}", "active": n % 7 != 0,
                        "components": components})
    return widgets


def test_list_search_sort_and_page(page, seed):
    seed(sixty_widgets())
    page.goto("/widgets")
    range_text = page.locator("#grid-range")
    expect(grid_cells(page, 1)).to_have_count(50)
    expect(range_text).to_have_text("1–50 of 60")
    assert grid_column(page, 1)[:2] == ["Widget 01", "Widget 02"]

    # Search by description (Enter in the search box).
    search = page.get_by_role("searchbox", name="Search")
    search.fill("Widget 1")
    with page.expect_navigation():
        search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=Widget\+1(&|$)"))
    expect(grid_cells(page, 1)).to_have_text([f"Widget {n}" for n in range(10, 20)])
    expect(range_text).to_have_text("1–10 of 10")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("Widget 1")

    # Search by a component's item code, in another case: only its widget matches.
    page.get_by_role("searchbox", name="Search").fill("special-42")
    follow(page.get_by_role("button", name="Search"))
    expect(grid_cells(page, 1)).to_have_text(["Widget 17"])
    expect(range_text).to_have_text("1–1 of 1")

    # The Active filter, without search text.
    page.get_by_role("searchbox", name="Search").fill("")
    page.get_by_label("Active").select_option("no")
    follow(page.get_by_role("button", name="Search"))
    expect(grid_cells(page, 1)).to_have_text([f"Widget {n:02d}" for n in range(7, 61, 7)])
    assert set(grid_column(page, 2)) == {"No"}

    page.get_by_role("searchbox", name="Search").fill("no such widget")
    follow(page.get_by_role("button", name="Search"))
    expect(page.get_by_role("status")).to_have_text("No widgets match this search.")
    follow(page.get_by_role("link", name="Reset"))
    expect(range_text).to_have_text("1–50 of 60")

    # Sort by Description: each click on the header flips the order.
    expect(grid_header(page, 1)).to_have_attribute("aria-sort", "ascending")
    follow(grid_header(page, 1).get_by_role("link"))
    expect(grid_header(page, 1)).to_have_attribute("aria-sort", "descending")
    assert grid_column(page, 1)[:3] == ["Widget 60", "Widget 59", "Widget 58"]
    follow(grid_header(page, 1).get_by_role("link"))
    expect(grid_header(page, 1)).to_have_attribute("aria-sort", "ascending")
    assert grid_column(page, 1)[:3] == ["Widget 01", "Widget 02", "Widget 03"]

    # Sort by Components, both ways (twelve widgets have none, twelve have four).
    follow(grid_header(page, 3).get_by_role("link"))
    expect(grid_header(page, 3)).to_have_attribute("aria-sort", "ascending")
    expect(grid_header(page, 1)).not_to_have_attribute("aria-sort", re.compile(".*"))
    counts = [int(c) for c in grid_column(page, 3)]
    assert counts == sorted(counts) and counts[:12] == [0] * 12 and counts[12] == 1
    assert sorted(grid_column(page, 1)[:12]) == [f"Widget {n:02d}" for n in range(5, 61, 5)]
    follow(grid_header(page, 3).get_by_role("link"))
    expect(grid_header(page, 3)).to_have_attribute("aria-sort", "descending")
    counts = [int(c) for c in grid_column(page, 3)]
    assert counts == sorted(counts, reverse=True) and counts[:12] == [4] * 12 and counts[12] == 3
    assert sorted(grid_column(page, 1)[:12]) == [f"Widget {n:02d}" for n in range(4, 61, 5)]

    # 20 rows per page, then Next and Previous; the sort is kept.
    follow(grid_header(page, 1).get_by_role("link"))  # Description, ascending
    page.get_by_label("Rows per page").select_option("20")
    follow(page.get_by_role("button", name="Show"))
    expect(grid_cells(page, 1)).to_have_count(20)
    expect(range_text).to_have_text("1–20 of 60")
    expect(page.get_by_text("Page 1 of 3")).to_be_visible()
    follow(page.get_by_role("link", name="Next"))
    expect(range_text).to_have_text("21–40 of 60")
    expect(grid_cells(page, 1)).to_have_text([f"Widget {n}" for n in range(21, 41)])
    follow(page.get_by_role("link", name="Next"))
    expect(range_text).to_have_text("41–60 of 60")
    expect(grid_cells(page, 1)).to_have_text([f"Widget {n}" for n in range(41, 61)])
    expect(page.locator(".page-item").filter(has_text="Next")).to_have_class(re.compile(r"\bdisabled\b"))
    follow(page.get_by_role("link", name="Previous"))
    expect(range_text).to_have_text("21–40 of 60")
    expect(page.get_by_label("Rows per page")).to_have_value("20")


# -- delete ----------------------------------------------------------------------


def test_delete_widget_from_its_page(page, engine, seed):
    doomed, kept = seed([
        {"description": "Old Sundial", "components": [("SD-1", "Dial"), ("SD-2", "Gnomon"), ("SD-3", "Plinth")]},
        {"description": "New Sundial", "components": [("NS-1", "Dial")]},
    ])
    page.goto(f"/widgets/{doomed}")
    follow(page.get_by_role("link", name="Delete", exact=True))
    expect(page).to_have_url(re.compile(rf"/widgets/{doomed}/delete$"))
    expect(page.get_by_role("alert")).to_contain_text(
        "This deletes widget Old Sundial and its 3 components.")
    assert stored(engine, doomed) is not None  # the confirm page changed nothing

    follow(page.get_by_role("button", name="Delete"))
    expect(page).to_have_url(LIST_PAGE)
    expect(page.get_by_role("status")).to_contain_text("Deleted widget “Old Sundial”.")
    expect(grid_cells(page, 1)).to_have_text(["New Sundial"])
    assert stored(engine, doomed) is None
    assert count_rows(engine, Component) == 1
    assert stored(engine, kept)[0] == "New Sundial"


# -- phone width -----------------------------------------------------------------

PHONE = {"width": 375, "height": 812}


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_widget_pages_fit_a_phone(page, seed):
    [widget_uuid, *_] = seed([
        {"description": "Weather vane with a rooster and four compass points, copper",
         "components": [("WV-ROOSTER-0001", "Rooster silhouette, hand-cut copper sheet"),
                        ("WV-ARMS", "Compass arms"), ("WV-POLE", "Mounting pole")]},
        *({"description": f"Planter {n}", "components": [("PL-1", "Pot")]} for n in range(12)),
    ])
    page.set_viewport_size(PHONE)
    for path in ("/widgets", f"/widgets/{widget_uuid}", f"/widgets/{widget_uuid}/edit",
                 f"/widgets/{widget_uuid}/delete", "/widgets/new"):
        page.goto(path)
        assert page_width(page) <= PHONE["width"] + 1, f"{path} scrolls sideways on a phone"
    page.goto("/widgets")
    expect(page.locator(".table-responsive > #grid")).to_have_count(1)
    expect(page.get_by_role("link", name="Weather vane")).to_be_visible()
    page.goto(f"/widgets/{widget_uuid}/edit")
    page.get_by_role("button", name="Add Component").click()
    expect(component_rows(page)).to_have_count(4)
    assert page_width(page) <= PHONE["width"] + 1


def test_wide_list_tables_scroll_inside_their_box_on_a_phone(page, seed):
    seed([{"description": "Anemometerwithcupsandvane", "components": [("AN-1", "Cup")]}])
    page.set_viewport_size(PHONE)
    widths = {}
    for path in ("/widgets", "/components"):
        page.goto(path)
        widths[path] = page_width(page)
    assert widths == {"/widgets": PHONE["width"], "/components": PHONE["width"]}


def test_long_unbroken_description_fits_a_phone(page, seed):
    [widget_uuid] = seed([{"description": "X" * 60}])
    page.set_viewport_size(PHONE)
    widths = {}
    for path in (f"/widgets/{widget_uuid}", f"/widgets/{widget_uuid}/edit",
                 f"/widgets/{widget_uuid}/delete"):
        page.goto(path)
        widths[path] = page_width(page)
    assert set(widths.values()) == {PHONE["width"]}, widths
