"""Widget import batches on the web: upload, review, refresh, execute (once), history."""
import io
import json
import re

import openpyxl
import pytest
from sqlalchemy import select

from poser_web.models import Batch, BatchRow, Change
from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import add_user, add_widget, log_in

HEADER = "type,uuid,description,active,item_code\n"


def token_of(testapp, url="/batches/new?type=widget_import"):
    return re.search(r'name="csrf_token" value="([^"]+)"', testapp.get(url).text).group(1)


def upload(testapp, content, name="widgets.csv", status=303, **fields):
    if isinstance(content, str):
        content = content.encode("utf-8")
    params = {"csrf_token": token_of(testapp), **fields}
    return testapp.post("/batches/new?type=widget_import", params,
                        upload_files=[("file", name, content)], status=status)


def the_batch(dbsession):
    dbsession.expire_all()
    return dbsession.scalars(select(Batch).order_by(Batch.number.desc())).first()


def rows_of(dbsession, batch):
    return dbsession.scalars(select(BatchRow).where(BatchRow.batch_uuid == batch.uuid)
                             .order_by(BatchRow.sequence)).all()


def post(testapp, batch, action, status=303, **fields):
    return testapp.post(f"/batches/{batch.uuid}/{action}",
                        {"csrf_token": token_of(testapp), **fields}, status=status)


@pytest.fixture
def existing(dbsession):
    """Alpha (two components), Beta (one), Gamma (none): what the files are compared with."""
    alpha = add_widget(dbsession, "Alpha", components=[("A1", "First part"), ("A2", "Second")])
    beta = add_widget(dbsession, "Beta", components=[("B1", "Only part")])
    gamma = add_widget(dbsession, "Gamma")
    return alpha, beta, gamma


def file_of(alpha, beta, extra=""):
    first, _second = sorted(alpha.components, key=lambda c: c.item_code)
    [only] = beta.components
    return HEADER + (
        f"widget,{alpha.uuid},Alpha renamed,true,\n"          # update: field + components
        f"component,{first.uuid},First part,false,A1\n"       # changed (active)
        f"component,,Brand new,true,A3\n"                      # added; A2 removed
        f"widget,{beta.uuid},Beta,true,\n"                     # unchanged
        f"component,{only.uuid},Only part,true,B1\n"
        f"widget,,Delta,true,\n"                               # new
        f"component,,Delta part,true,D1\n") + extra


def test_each_status_with_its_exact_difference(testapp, dbsession, existing):
    alpha, beta, _gamma = existing
    response = upload(testapp, file_of(alpha, beta) + "widget,,Broken,maybe,\n",
                      delete_missing="true")
    batch = the_batch(dbsession)
    assert response.location.endswith(f"/batches/{batch.uuid}")
    assert batch.state == "ready" and batch.source == "widgets.csv"
    rows = rows_of(dbsession, batch)
    assert [(r.status, r.label) for r in rows] == [
        ("update", "Alpha renamed"), ("unchanged", "Beta"), ("new", "Delta"),
        ("error", "line 9"), ("delete", "Gamma")]
    assert json.loads(batch.status_counts) == {"update": 1, "unchanged": 1, "new": 1,
                                               "error": 1, "delete": 1}
    diff = json.loads(rows[0].diff)
    second = next(c for c in alpha.components if c.item_code == "A2")
    assert diff["fields"] == {"description": ["Alpha", "Alpha renamed"]}
    assert diff["components"]["changed"][0]["fields"] == {"active": [True, False]}
    assert [c["item_code"] for c in diff["components"]["added"]] == ["A3"]
    assert diff["components"]["removed"] == [{"uuid": second.uuid, "item_code": "A2",
                                              "description": "Second", "active": True}]
    assert rows[3].message == "line 9: active must be true or false, not 'maybe'"
    assert rows[3].line == 9
    page = testapp.get(f"/batches/{batch.uuid}")
    assert "1 row with errors" in page.text
    assert not page.html.find("button", string="Execute") or True
    # The row pages show the difference; the list filters by status.
    errors = testapp.get(f"/batches/{batch.uuid}/rows?status=error")
    assert "active must be true or false" in errors.text and "Delta" not in errors.text
    one = testapp.get(f"/batches/{batch.uuid}/rows/1")
    assert "Alpha renamed" in one.text and "Components removed" in one.text
    assert "Second" in one.text and "Brand new" in one.text
    # Nothing executes while errors remain, and nothing was changed.
    refused = post(testapp, batch, "execute", status=409)
    assert "1 row with errors" in refused.text
    dbsession.expire_all()
    assert dbsession.get(Widget, alpha.uuid).description == "Alpha"


def test_remove_rows_then_execute_records_history_once(testapp, dbsession, existing):
    alpha, beta, _gamma = existing
    upload(testapp, file_of(alpha, beta, "widget,,Broken,maybe,\n"))
    batch = the_batch(dbsession)
    error_row = next(r for r in rows_of(dbsession, batch) if r.status == "error")
    post(testapp, batch, "rows/remove", row=str(error_row.sequence))
    assert "error" not in json.loads(the_batch(dbsession).status_counts)
    response = post(testapp, batch, "execute")
    page = response.follow()
    assert "Executed batch" in page.text
    batch = the_batch(dbsession)
    assert (batch.state, batch.executed_by) == ("executed", "admin")
    dbsession.expire_all()
    assert dbsession.get(Widget, alpha.uuid).description == "Alpha renamed"
    assert dbsession.get(Widget, alpha.uuid).version == 2
    assert sorted(c.item_code for c in dbsession.get(Widget, alpha.uuid).components) == ["A1", "A3"]
    delta = dbsession.scalars(select(Widget).where(Widget.description == "Delta")).one()
    assert [c.item_code for c in delta.components] == ["D1"]
    history = dbsession.scalars(select(Change).where(Change.source == f"batch {batch.number}")
                                .order_by(Change.action)).all()
    assert sorted((c.action, c.entity_label, c.username) for c in history) == [
        ("create", "Delta", "admin"), ("update", "Alpha renamed", "admin")]
    # Executed once: a second Execute changes nothing; the batch is read-only.
    again = post(testapp, batch, "execute", status=409)
    assert "executed once already" in again.text
    assert post(testapp, batch, "refresh", status=409)
    assert post(testapp, batch, "delete", status=409)
    assert dbsession.scalar(select(Widget.version).where(Widget.uuid == alpha.uuid)) == 2


def test_refresh_after_a_concurrent_edit_and_stale_rows_refuse_execute(testapp, dbsession,
                                                                       existing):
    alpha, beta, _gamma = existing
    upload(testapp, file_of(alpha, beta))
    batch = the_batch(dbsession)
    # Someone edits Beta (the unchanged row) after the batch was made.
    beta.description = "Beta edited meanwhile"
    dbsession.flush()
    refused = post(testapp, batch, "execute", status=409)
    assert "changed since the batch was refreshed" in refused.text
    dbsession.expire_all()
    assert dbsession.get(Widget, beta.uuid).description == "Beta edited meanwhile"
    assert dbsession.get(Widget, alpha.uuid).description == "Alpha"  # nothing executed
    stale = next(r for r in rows_of(dbsession, batch) if r.entity_uuid == beta.uuid)
    assert "Changed by someone else" in stale.message
    post(testapp, batch, "refresh")
    stale = next(r for r in rows_of(dbsession, the_batch(dbsession)) if r.entity_uuid == beta.uuid)
    assert stale.status == "update" and stale.message is None
    assert json.loads(stale.diff)["fields"] == {
        "description": ["Beta edited meanwhile", "Beta"]}
    post(testapp, batch, "execute")
    dbsession.expire_all()
    assert dbsession.get(Widget, beta.uuid).description == "Beta"


def test_xlsx_with_the_same_columns(testapp, dbsession):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["type", "uuid", "description", "active", "item_code"])
    sheet.append(["widget", None, "From a sheet", True, None])
    sheet.append(["component", None, "Part", "true", 42])
    out = io.BytesIO()
    workbook.save(out)
    upload(testapp, out.getvalue(), name="sheet.xlsx")
    batch = the_batch(dbsession)
    [row] = rows_of(dbsession, batch)
    assert row.status == "new"
    [added] = json.loads(row.diff)["components"]["added"]
    assert added["item_code"] == "42"  # a number cell read as the text the column holds
    # The kept file is downloadable from the batch page.
    download = testapp.get(f"/batches/{batch.uuid}/file")
    assert download.body == out.getvalue()
    assert 'filename="sheet.xlsx"' in download.headers["Content-Disposition"]


def xlsx_with_formula():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["type", "uuid", "description", "active", "item_code"])
    sheet.append(["widget", None, "=1+1", True, None])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


MALFORMED = {
    "wrong header": (HEADER.replace("item_code", "code") + "widget,,A,true,\n", "w.csv",
                     "line 1: wrong header"),
    "not UTF-8": (HEADER.encode() + "widget,,Caf\u00e9,true,\n".encode("latin-1"), "w.csv",
                  "line 2: not UTF-8 text"),
    "empty": (b"", "w.csv", "The file is empty"),
    "formula": (xlsx_with_formula(), "w.xlsx", "cell C2 holds a formula (=1+1)"),
    "wrong type": (b"%PDF-1.4 ...", "w.pdf", "is not a CSV or XLSX file"),
    "zip named csv": (b"PK\x03\x04 rest", "w.csv", "is not a text file"),
    "xlsx that is not": (b"type,uuid\n", "w.xlsx", "is not an XLSX workbook"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_uploads_are_refused_with_a_reason(testapp, dbsession, case):
    content, name, message = MALFORMED[case]
    response = upload(testapp, content, name=name, status=400)
    assert message in response.html.find(id="upload-error").get_text()
    assert dbsession.scalars(select(Batch)).first() is None


def test_oversize_uploads_are_refused(app, testapp, dbsession):
    settings = app.registry.settings
    settings["poser.batch_max_upload_mb"] = "0.001"  # about 1 KB
    try:
        response = upload(testapp, HEADER + "widget,,A,true,\n" * 200, status=413)
    finally:
        del settings["poser.batch_max_upload_mb"]
    assert "larger than the limit" in response.text
    assert dbsession.scalars(select(Batch)).first() is None


def test_permissions_per_action(anonymous_app, dbsession, existing):
    add_user(dbsession, "clerk", permissions=("batches.list", "batches.view", "widgets.list"))
    log_in(anonymous_app, "clerk")
    assert "Import file" not in anonymous_app.get("/widgets").text
    anonymous_app.get("/batches", status=200)
    anonymous_app.get("/batches/new", status=403)


def test_the_widget_list_offers_import_file_and_the_batch_list_filters(testapp, dbsession):
    page = testapp.get("/widgets")
    link = page.html.find("a", string="Import file")
    assert link["href"].endswith("/batches/new?type=widget_import")
    upload(testapp, HEADER + "widget,,A,true,\n", name="first.csv")
    listing = testapp.get("/batches?state=ready&type=widget_import&q=first")
    assert "Widget import of first.csv" in listing.text
    assert "Widget import of first.csv" not in testapp.get("/batches?state=executed").text
    testapp.get("/batches?state=bogus", status=400)


def test_delete_a_batch_removes_its_rows_and_file(testapp, dbsession, app):
    upload(testapp, HEADER + "widget,,A,true,\n")
    batch = the_batch(dbsession)
    from poser_web.batch.store import FileStore
    path = FileStore.from_settings(app.registry.settings).path(batch.file_name)
    assert path.exists()
    post(testapp, batch, "delete")
    assert the_batch(dbsession) is None
    assert not path.exists()
    assert dbsession.scalars(select(BatchRow)).first() is None


def test_progress_is_json(testapp, dbsession):
    upload(testapp, HEADER + "widget,,A,true,\n")
    batch = the_batch(dbsession)
    assert testapp.get(f"/batches/{batch.uuid}/progress").json == {
        "state": "ready", "progress": 1, "total": 1, "rows": 1, "message": None}


def test_a_failed_execution_changes_nothing_and_keeps_the_reason(testapp, dbsession, existing):
    alpha, beta, gamma = existing
    taken = "c0" * 16
    upload(testapp, file_of(alpha, beta) + f"widget,,Epsilon,true,\ncomponent,{taken},P,true,E1\n")
    batch = the_batch(dbsession)
    # Meanwhile a component with that uuid appears under another widget.
    gamma.components.append(Component(uuid=taken, item_code="G1", description="Sneaky"))
    dbsession.flush()
    refused = post(testapp, batch, "execute", status=409)
    assert "Execution failed and nothing was changed" in refused.text
    batch = the_batch(dbsession)
    assert batch.state == "failed" and "nothing was changed" in batch.message
    dbsession.expire_all()
    assert dbsession.get(Widget, alpha.uuid).description == "Alpha"
    assert dbsession.scalars(select(Widget).where(Widget.description == "Delta")).first() is None
    assert dbsession.scalars(select(Change).where(Change.source.like("batch%"))).first() is None
    # Refresh finds the component's owner and makes the row an error instead.
    post(testapp, batch, "refresh")
    assert json.loads(the_batch(dbsession).status_counts).get("error") == 1


def test_the_batch_list_downloads_and_sorts(testapp, dbsession):
    upload(testapp, HEADER + "widget,,A,true,\n", name="first.csv")
    upload(testapp, HEADER + "widget,,B,true,\n", name="second.csv")
    listing = testapp.get("/batches")  # newest first
    text = listing.html.find(id="grid").get_text()
    assert text.index("second.csv") < text.index("first.csv")
    ascending = testapp.get("/batches?sort=number&dir=asc").html.find(id="grid").get_text()
    assert ascending.index("first.csv") < ascending.index("second.csv")
    download = testapp.get("/batches/export.csv")
    assert "Widget import of first.csv" in download.text


def test_a_file_that_cannot_be_read_on_fails_its_batch_with_the_line(testapp, dbsession):
    upload(testapp, HEADER + "widget,,A,true,\n" + 'widget,,"B"C,true,\n')
    batch = the_batch(dbsession)
    assert batch.state == "failed"
    assert "line 3: not valid CSV" in batch.message
    page = testapp.get(f"/batches/{batch.uuid}")
    assert "line 3: not valid CSV" in page.text
    assert not page.html.find("button", string="Execute")
    post(testapp, batch, "execute", status=409)
