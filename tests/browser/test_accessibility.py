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
        "/users", "/users/new", "/roles", "/batches", "/datasync", "/password",
    ]
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
        page.get_by_role("button", name="Save").click()
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
