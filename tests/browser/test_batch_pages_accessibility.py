"""The batch pages — upload, the batch with its progress, its rows, one row — axe-clean at
1280 px and on a 390 px phone (no sideways scrolling), and a batch executed from the
keyboard alone."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from poser_web.batch import workers
from poser_web.models import Batch
from tests.browser.test_accessibility import DESKTOP, PATIENT_MS, PHONE, sideways, violations

GOOD = ("type,uuid,description,active,item_code\n"
        "widget,,Batch axe widget,true,\ncomponent,,Part,true,AXE-1\n")
BAD_ROW = "widget,,Broken,maybe,\n"


def follow(locator):
    with locator.page.expect_navigation():
        locator.click()


def upload(page, tmp_path, text):
    """Upload the file; the batch's page once it is ready."""
    path = tmp_path / "widgets.csv"
    path.write_text(text, encoding="utf-8")
    page.goto("/widgets")
    follow(page.get_by_role("link", name="Import file"))
    page.get_by_label("File", exact=True).set_input_files(str(path))
    follow(page.get_by_role("button", name="Upload"))
    expect(page.locator("#batch-state")).to_have_text("ready", timeout=PATIENT_MS)
    return page.url


def check(page, viewport):
    return violations(page) + sideways(page, viewport)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_batch_pages_are_axe_clean_and_fit(page, engine, tmp_path, viewport):
    page.set_default_timeout(PATIENT_MS)
    page.set_viewport_size(viewport)
    page.goto("/widgets")
    follow(page.get_by_role("link", name="Import file"))
    problems = check(page, viewport)  # the upload form
    batch_url = upload(page, tmp_path, GOOD + BAD_ROW)
    problems += check(page, viewport)  # ready, with "1 row with errors"
    follow(page.get_by_role("link", name="Review rows"))
    problems += check(page, viewport)
    follow(page.get_by_role("link", name="error 1"))
    problems += check(page, viewport)
    problems += progress_page_problems(page, engine, batch_url, viewport)
    page.goto("/batches")
    problems += check(page, viewport)
    assert not problems, "\n".join(problems)


def progress_page_problems(page, engine, batch_url, viewport):
    """The batch as its executing worker shows it (this process runs the live server, so a
    worker registered here is alive): a labelled progress bar at 40 of 100 rows."""
    name = workers.new_name()
    workers.register(name, total=100)
    workers.report(name, 40)
    uuid = batch_url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        with engine.begin() as connection:
            claimed = connection.execute(update(Batch).where(Batch.uuid == uuid)
                                         .values(state="executing", worker=name))
            assert claimed.rowcount == 1, batch_url
        page.goto(batch_url)
        bar = page.get_by_label("Executing:")
        expect(bar).to_have_attribute("value", "40")
        expect(page.locator("#batch-progress-text")).to_have_text("40 of 100 rows")
        return check(page, viewport)
    finally:
        workers.unregister(name)
        with engine.begin() as connection:
            connection.execute(update(Batch).where(Batch.worker == name)
                               .values(state="ready", worker=None))


def test_a_batch_is_executed_from_the_keyboard(page, engine, tmp_path):
    page.set_default_timeout(PATIENT_MS)
    upload(page, tmp_path, GOOD)
    execute = page.get_by_role("button", name="Execute")
    for _ in range(60):  # Tab through the page until the Execute button has the focus
        page.keyboard.press("Tab")
        if execute.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the Execute button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#batch-state")).to_have_text("executed", timeout=PATIENT_MS)
    expect(page.get_by_text("Executed batch")).to_be_visible()
    expect(page.get_by_text("1 new")).to_be_visible()
