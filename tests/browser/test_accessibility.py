"""Every main page axe-clean (0 violations of any impact) at 1280 px and on a 390 px phone,
where no page may scroll sideways.

axe-core comes bundled with axe-playwright-python (nothing is fetched at run time).
"""
import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy.orm import Session

from ..sample.models import Specimen, SpecimenPart
from .conftest import TIMEOUT_MS

AXE = Axe()
PHONE = {"width": 390, "height": 844}
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
    context.set_default_timeout(TIMEOUT_MS)
    try:
        login = context.new_page()
        login.goto("/login")
        problems += violations(login) + sideways(login, viewport)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
