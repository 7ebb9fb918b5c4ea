"""Import file → review → execute in headless Chromium, with the file read and the batch
executed in the background (progress polled by static/batch.js under the
Content-Security-Policy)."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from poser_web.models import Change
from poser_web.tables.widgets.models import Widget
from tests.browser.support import LiveServer, thread_stacks

HEADER = "type,uuid,description,active,item_code\n"


@pytest.fixture(scope="module")
def background_server(app_settings):
    """The app again, reading every uploaded file in a background thread."""
    with LiveServer({**app_settings, "poser.batch_inline_bytes": "10"}) as server:
        yield server.url


def follow(locator):
    with locator.page.expect_navigation():
        locator.click()


def execute(page, engine):
    """Press Execute: the progress page, reloading itself until the batch is executed.

    A batch that is still not executed after 30 s fails the test with the batches' rows and
    every thread's stack (the execution runs on a thread of this process)."""
    follow(page.get_by_role("button", name="Execute"))
    try:
        expect(page.locator("#batch-state")).to_have_text("executed", timeout=30_000)
    except AssertionError as error:
        from poser_web.batch.records import B

        with engine.connect() as connection:
            batches = connection.execute(select(B)).mappings().all()
        raise AssertionError(f"{error}\nbatches: {[dict(b) for b in batches]}\n{thread_stacks()}") from error
    expect(page.get_by_text("Executed batch")).to_be_visible()


def test_upload_review_and_execute(page, background_server, engine, tmp_path):
    rows = "".join(f"widget,,Imported {n},true,\ncomponent,,Part,true,P{n}\n" for n in range(300))
    path = tmp_path / "widgets.csv"
    path.write_text(HEADER + rows + "widget,,Broken,maybe,\n", encoding="utf-8")

    page.set_default_timeout(30_000)  # a background thread shares the (busy) machine
    page.goto(background_server + "/widgets")
    follow(page.get_by_role("link", name="Import file"))
    page.get_by_label("File", exact=True).set_input_files(str(path))
    follow(page.get_by_role("button", name="Upload"))
    # Populating, then ready: the page polls and reloads itself.
    expect(page.locator("#batch-state")).to_have_text("ready", timeout=30_000)
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_be_visible()
    assert "1 row with errors" in page.content()
    assert page.get_by_role("button", name="Execute").count() == 1

    follow(page.get_by_role("link", name="Review rows"))
    follow(page.get_by_role("link", name="error 1"))
    page.get_by_label("Select row 301").check()
    follow(page.get_by_role("button", name="Remove selected rows"))
    expect(page.get_by_text("Removed 1 row from batch")).to_be_visible()

    follow(page.get_by_role("button", name="Execute"))
    # The progress page (or, on a quick machine, already its outcome).
    expect(page.get_by_text("Executing:").or_(page.get_by_text("Executed batch"))).to_be_visible()
    expect(page.locator("#batch-state")).to_have_text("executed", timeout=30_000)
    expect(page.get_by_text("Executed batch 1: 300 new.")).to_be_visible()
    assert page.get_by_role("button", name="Execute").count() == 0
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Widget)) == 300
        sources = connection.scalars(select(Change.source).distinct()).all()
    assert len(sources) == 1 and sources[0].startswith("batch ")


def test_bulk_change_from_the_list(page, engine):
    from tests.browser.support import seed_widgets

    page.set_default_timeout(30_000)
    seed_widgets(engine, [{"description": "Sprocket A"}, {"description": "Sprocket B"},
                          {"description": "Gear"}])
    page.goto("/widgets")
    page.get_by_label("Search").fill("sprocket")
    follow(page.get_by_role("button", name="Search"))
    follow(page.get_by_role("link", name="Bulk change"))
    expect(page.locator("#bulk-count")).to_contain_text("2 widgets match")
    page.get_by_label("Set inactive").check()
    follow(page.get_by_role("button", name="Make batch"))
    expect(page.locator("#batch-state")).to_have_text("ready")
    execute(page, engine)
    with engine.connect() as connection:
        active = dict(connection.execute(select(Widget.description, Widget.active)).all())
    assert active == {"Sprocket A": False, "Sprocket B": False, "Gear": True}


def test_a_declared_table_imports_a_file_and_changes_ticked_rows_in_bulk(page, engine, tmp_path):
    """Specimen declared a model and a view, nothing more: Import file and Bulk change work."""
    from sqlalchemy.orm import Session

    from tests.sample.models import Specimen

    page.set_default_timeout(30_000)
    with Session(engine) as session, session.begin():
        session.add_all([Specimen(name="Ant"), Specimen(name="Bee"), Specimen(name="Cat")])
    header = page.request.get("/specimens/export-for-import.csv").text().splitlines()[0]
    columns = header.split(",")
    row = dict.fromkeys(columns, "")
    row.update({"type": "test_specimen", "name": "Dog", "active": "true", "quantity": "7"})
    path = tmp_path / "specimens.csv"
    path.write_text(header + "\n" + ",".join(row[c] for c in columns) + "\n", encoding="utf-8")

    page.goto("/specimens")
    follow(page.get_by_role("link", name="Import file"))
    page.get_by_label("File", exact=True).set_input_files(str(path))
    follow(page.get_by_role("button", name="Upload"))
    expect(page.locator("#batch-state")).to_have_text("ready")
    execute(page, engine)

    page.goto("/specimens")
    page.get_by_label("Select Ant").check()
    page.get_by_label("Select Cat").check()
    follow(page.get_by_role("button", name="Bulk change: the ticked rows"))
    expect(page.locator("#bulk-count")).to_contain_text("2 specimens match")
    page.get_by_label("Set Color to red").check()
    follow(page.get_by_role("button", name="Make batch"))
    expect(page.locator("#batch-state")).to_have_text("ready")
    execute(page, engine)
    with engine.connect() as connection:
        found = dict(connection.execute(select(Specimen.name, Specimen.color)).all())
        quantity = connection.scalar(select(Specimen.quantity).where(Specimen.name == "Dog"))
    assert found == {"Ant": "red", "Bee": None, "Cat": "red", "Dog": None} and quantity == 7
