"""Every main page axe-clean (0 violations of any impact) at 1280 px and on a 390 px phone,
where no page may scroll sideways.

axe-core comes bundled with axe-playwright-python (nothing is fetched at run time).
"""
import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy.orm import Session

from tests.sample.models import Specimen, SpecimenPart

AXE = Axe()
PHONE = {"width": 390, "height": 844}
# Many pages per test, on a busy CI machine: more patience than conftest's 10 s per step.
PATIENT_MS = 60_000
DESKTOP = {"width": 1280, "height": 900}


def seed_specimen(engine, widget_uuid):
    with Session(engine) as session, session.begin():
        specimen = Specimen(name="Axe specimen", widget_uuid=widget_uuid, quantity=3)
        specimen.parts.append(SpecimenPart(code="P-1", count=2))
        session.add(specimen)
        session.flush()
        return specimen.uuid


def violations(page):
    """The axe violations of the page as readable lines (empty when clean)."""
    results = AXE.run(page)
    lines = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
        lines.append(f"{page.url}: {violation['id']} ({violation['impact']}): "
                     f"{violation['help']} at {targets}")
    return lines


def sideways(page, viewport):
    width = page.evaluate("document.documentElement.scrollWidth")
    if viewport["width"] <= 390 and width > viewport["width"]:
        return [f"{page.url}: the page scrolls sideways ({width} px wide at {viewport['width']} px)"]
    return []


def main_pages(page, widget_uuid, specimen_uuid):
    """Paths of the main pages (the widget's change page found from its history)."""
    paths = [
        "/", "/widgets", f"/widgets/{widget_uuid}", "/widgets/new", f"/widgets/{widget_uuid}/edit",
        f"/widgets/{widget_uuid}/delete", f"/widgets/{widget_uuid}/history", "/widgets/changes",
        "/components", "/specimens", "/specimens/new", f"/specimens/{specimen_uuid}/edit",
        "/users", "/users/new", "/roles", "/batches", "/datasync", "/password", "/api",
    ]
    page.goto("/users")  # a user's page: roles, API tokens, history
    paths.append(page.locator("#grid tbody a").first.get_attribute("href"))
    page.goto(f"/widgets/{widget_uuid}/history")
    change = page.locator("main a[href*='/history/']").first
    paths.append(change.get_attribute("href"))
    return paths


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_every_main_page_is_axe_clean_and_fits(page, seed, engine, browser, live_server, viewport):
    page.set_default_timeout(PATIENT_MS)
    widget_uuid, = seed([{"description": "Axe widget",
                          "components": [(f"AXE-{n}", f"Part {n}") for n in range(3)]}])
    # An edit through the form, so the history has a change to show.
    page.goto(f"/widgets/{widget_uuid}/edit")
    page.get_by_label("Description").first.fill("Axe widget, edited")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    specimen_uuid = seed_specimen(engine, widget_uuid)
    page.set_viewport_size(viewport)
    problems = []
    for path in main_pages(page, widget_uuid, specimen_uuid):
        response = page.goto(path)
        assert response.status == 200, f"{path} answered {response.status}"
        problems += violations(page) + sideways(page, viewport)
    # The login page, logged out.
    context = browser.new_context(viewport=viewport, base_url=live_server)
    context.set_default_timeout(PATIENT_MS)
    try:
        login = context.new_page()
        login.goto("/login")
        problems += violations(login) + sideways(login, viewport)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def inside(locator, width):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5


def test_phone_shows_row_actions_whole_inputs_and_the_account_link(page, seed):
    widget_uuid, = seed([{"description": "A widget with a rather long description for a phone",
                          "components": [("PHONE-1", "A component description, also quite long")]}])
    page.set_default_timeout(PATIENT_MS)
    page.set_viewport_size(PHONE)
    page.goto("/widgets")
    row = page.locator("#grid tbody tr").first
    for name in ("View", "Edit", "Delete"):
        assert inside(row.get_by_role("link", name=name), PHONE["width"]), name
    assert inside(page.get_by_role("link", name="Account: browser-admin"), PHONE["width"])
    page.goto(f"/widgets/{widget_uuid}/edit")
    item = page.locator(".deform-seq-item").first
    for field in item.locator("input[type=text]").all():
        assert inside(field, PHONE["width"]) and field.bounding_box()["width"] >= 200
    assert inside(item.get_by_role("button", name="Remove component row 1"), PHONE["width"])


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_forms_showing_errors_are_axe_clean(page, seed, engine, viewport):
    """Error messages at fields, in inline rows and from declared rules keep their contrast."""
    page.set_default_timeout(PATIENT_MS)
    page.set_viewport_size(viewport)
    widget_uuid, = seed([{"description": "Axe errors", "components": [("E-1", "Part")]}])
    problems = []
    page.goto(f"/widgets/{widget_uuid}/edit")
    page.locator("#master-form").evaluate("form => form.noValidate = true")
    page.get_by_label("Description").first.fill("")
    page.locator("input[name=item_code]").first.fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator(".invalid-feedback").count() >= 2
    problems += violations(page) + sideways(page, viewport)
    seed_specimen(engine, widget_uuid)
    page.goto("/specimens/new")
    page.locator("#master-form").evaluate("form => form.noValidate = true")
    page.get_by_label("Name").fill("Axe specimen")  # its name is taken: a link in the message
    page.get_by_label("Rating").fill("9")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator(".invalid-feedback").count() >= 1
    problems += violations(page) + sideways(page, viewport)
    assert not problems, "\n".join(problems)


def test_the_sticky_row_actions_cover_no_column_header_on_a_phone(page, engine):
    """At 390 px the list scrolls sideways inside its box and the row actions stick to the
    right edge; every header stays readable wherever the list is scrolled: nothing lies
    over the middle of a header that is on screen."""
    page.set_default_timeout(PATIENT_MS)
    with Session(engine) as session, session.begin():
        session.add(Specimen(name="A specimen with a long name", notes="Some notes", quantity=3))
    page.set_viewport_size(PHONE)
    page.goto("/specimens")
    covered = """box => {
        box.scrollLeft = %d;
        const shown = box.getBoundingClientRect();
        return Array.from(box.querySelectorAll("thead th:not(.poser-actions)")).filter(th => {
            const r = th.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (x < shown.left || x > shown.right) return false;  // scrolled out of its box
            return !th.contains(document.elementFromPoint(x, y));
        }).map(th => th.textContent.trim());
    }"""
    box = page.locator("#grid").locator("xpath=..")
    for scroll in (0, 150, 300, 10_000):
        assert box.evaluate(covered % scroll) == [], f"covered at scrollLeft {scroll}"
    assert page.get_by_role("link", name="View").first.is_visible()  # the actions stay in sight
