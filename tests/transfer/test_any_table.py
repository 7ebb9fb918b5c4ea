"""The import/export checklist for a table that only declared itself: the test-only Specimen
(every column type, child rows `parts`, a foreign key to widgets), through the same engine,
batches and pages as Widget, on both databases."""
import csv
import io
import json

import pytest
from sqlalchemy import func, select

from poser_web.models import Batch, BatchRow, Change, catalog
from poser_web.tables.widgets.models import Widget
from poser_web.transfer import LayoutError, export_file, import_file
from tests.factories import latest_batch as the_batch
from tests.factories import specimen
from tests.helpers import add_user, add_widget, log_in
from tests.sample.models import Specimen


@pytest.fixture
def spec(app):
    return catalog.table(app.registry, "specimens")


def export_text(dbsession, spec):
    out = io.StringIO()
    export_file(dbsession.connection(), spec, out)
    return out.getvalue()


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def as_text(table):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue()


def import_text(dbsession, spec, text, **options):
    report = import_file(dbsession.connection(), spec, io.BytesIO(text.encode()), **options)
    dbsession.expire_all()
    return report


def test_the_layout_comes_from_the_declaration(dbsession, spec):
    header = rows(export_text(dbsession, spec))[0]
    own = [f.name for f in spec.fields]
    assert header[:2] == ["type", "uuid"] and header[2:2 + len(own)] == own
    assert header[2 + len(own):] == ["code", "count"]  # the parts' fields the specimen lacks
    assert {"name", "weight", "received", "checked_at", "size", "widget_uuid"} <= set(own)
    assert "version" not in header


def test_export_edit_import_round_trip(dbsession, spec):
    widget = add_widget(dbsession, "Holder")
    first = specimen(dbsession, parts=("P1", "P2"), name="First", widget=widget)
    specimen(dbsession, name="Second")
    text = export_text(dbsession, spec)
    table = rows(text)
    header = table[0]
    assert [r[0] for r in table[1:]] == ["test_specimen", "part", "part", "test_specimen"]

    unchanged = import_text(dbsession, spec, text)
    assert unchanged.tally.records.unchanged == 2 and unchanged.tally.children["parts"].unchanged == 2
    assert export_text(dbsession, spec) == text  # export -> import -> export: the same bytes

    version = first.version
    name, code = header.index("name"), header.index("code")
    table[1][name] = "First renamed"
    del table[3]  # part P2 goes
    new_part = [""] * len(header)
    new_part[0], new_part[code] = "part", "P3"
    table.insert(3, new_part)
    report = import_text(dbsession, spec, as_text(table), runas=None)
    assert (report.tally.records.updated, report.tally.records.unchanged) == (1, 1)
    assert vars(report.tally.children["parts"]) == {"created": 1, "updated": 0, "deleted": 1,
                                                    "unchanged": 1}
    assert first.name == "First renamed" and sorted(p.code for p in first.parts) == ["P1", "P3"]
    assert first.widget_uuid == widget.uuid and first.version == version + 1
    change = dbsession.scalars(select(Change).where(Change.entity_uuid == first.uuid,
                                                    Change.source == "import")).one()
    assert (change.entity, change.source, change.action) == ("test_specimen", "import", "update")
    diff = json.loads(change.diff)
    assert diff["fields"] == {"name": ["First", "First renamed"]}
    assert [r["code"] for r in diff["parts"]["added"]] == ["P3"]
    assert [r["code"] for r in diff["parts"]["removed"]] == ["P2"]


@pytest.mark.parametrize("column, text, reason", [
    ("weight", "1.2345", "weight has more than 3 digits after the point"),
    ("quantity", "many", "quantity must be a whole number"),
    ("received", "2026-02-30", "received must be a date written YYYY-MM-DD"),
    ("color", "purple", "color must be one of red, green, blue"),
    ("active", "maybe", "active must be true or false"),
    ("widget_uuid", "e" * 32, f"widget_uuid: no widget has the key {'e' * 32}"),
    ("code", "x", "a test_specimen row has no code (leave it empty)"),
])
def test_a_bad_value_names_its_line_and_nothing_is_written(dbsession, spec, column, text, reason):
    specimen(dbsession, name="Kept")
    table = rows(export_text(dbsession, spec))
    before = export_text(dbsession, spec)
    table.append(list(table[1]))
    table[2][1] = ""  # a new record...
    table[2][table[0].index(column)] = text  # ...with one bad value
    with pytest.raises(LayoutError) as refused:
        import_text(dbsession, spec, as_text(table))
    assert refused.value.line == 3 and reason in refused.value.reason
    assert export_text(dbsession, spec) == before  # the chunk with the bad line wrote nothing


def test_delete_missing_keeps_records_the_file_creates(dbsession, spec):
    specimen(dbsession, name="Left out")
    table = rows(export_text(dbsession, spec))[:1]
    new = [""] * len(table[0])
    new[0], new[table[0].index("name")], new[table[0].index("active")] = "test_specimen", "New", "true"
    report = import_text(dbsession, spec, as_text(table + [new]), delete_missing=True)
    assert (report.tally.records.created, report.tally.records.deleted) == (1, 1)
    assert dbsession.scalars(select(Specimen.name)).all() == ["New"]


# Batches -------------------------------------------------------------------------------------

def upload(testapp, kind, text, status=303, **fields):
    page = testapp.get(f"/batches/new?type={kind}")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    return testapp.post(f"/batches/new?type={kind}", {"csrf_token": token, **fields},
                        upload_files=[("file", "file.csv", text.encode())], status=status)


def statuses(dbsession, batch):
    return [(r.status, r.entity_uuid) for r in dbsession.scalars(
        select(BatchRow).where(BatchRow.batch_uuid == batch.uuid).order_by(BatchRow.sequence))]


def post(testapp, batch, action, status=303, **fields):
    token = testapp.get(f"/batches/{batch.uuid}").html.find(
        "input", attrs={"name": "csrf_token"})["value"]
    return testapp.post(f"/batches/{batch.uuid}/{action}", {"csrf_token": token, **fields},
                        status=status)


def without_record(table, key):
    """The file's rows without record `key` and its child rows."""
    record_type = table[1][0]
    start = next(i for i, row in enumerate(table) if row[1] == key)
    end = next((i for i in range(start + 1, len(table)) if table[i][0] == record_type), len(table))
    return table[:start] + table[end:]


def spoil_first_child_row(table, record_key, column, text):
    """The file with a bad value in the first child row under record `record_key`."""
    start = next(i for i, row in enumerate(table) if row[1] == record_key)
    table[start + 1][table[0].index(column)] = text
    return as_text(table)


@pytest.mark.parametrize("table_name, child_column", [("widgets", "item_code"),
                                                       ("specimens", "code")])
def test_a_record_with_a_bad_line_is_never_deleted_as_left_out(testapp, dbsession, app,
                                                               table_name, child_column):
    """A bad line makes its record an error row: neither changed nor deleted, also once that
    row is removed from the batch; records the file leaves out are deleted."""
    spec = catalog.table(app.registry, table_name)
    if table_name == "widgets":
        kept, spoilt, gone = (add_widget(dbsession, n, components=[("A1", "Part")])
                              for n in ("Kept", "Spoilt", "Gone"))
    else:
        kept, spoilt, gone = (specimen(dbsession, parts=("A1",), name=n)
                              for n in ("Kept", "Spoilt", "Gone"))
    table = without_record(rows(export_text(dbsession, spec)), gone.uuid)  # "Gone" is left out
    text = spoil_first_child_row(table, spoilt.uuid, child_column, "x" * 300)  # Spoilt is bad
    upload(testapp, f"{spec.entity}_import", text, delete_missing="true")
    batch = the_batch(dbsession)
    found = statuses(dbsession, batch)
    assert ("error", spoilt.uuid) in found and ("delete", spoilt.uuid) not in found
    assert ("delete", gone.uuid) in found and ("unchanged", kept.uuid) in found
    kept, spoilt, gone = kept.uuid, spoilt.uuid, gone.uuid
    error_row = dbsession.scalars(select(BatchRow).where(
        BatchRow.batch_uuid == batch.uuid, BatchRow.status == "error")).one()
    post(testapp, batch, "rows/remove", row=str(error_row.sequence))
    post(testapp, batch, "execute")
    dbsession.expire_all()
    model = spec.model
    assert dbsession.get(model, spoilt) is not None  # untouched
    assert dbsession.get(model, gone) is None
    assert dbsession.get(model, kept) is not None


def test_a_batch_with_delete_missing_keeps_the_records_its_file_creates(testapp, dbsession,
                                                                       spec):
    """The batch path of `--delete-missing`: a row without a key is created, not deleted as
    left out; only the record the file leaves out goes."""
    kept, gone = specimen(dbsession, name="Kept"), specimen(dbsession, name="Gone")
    table = without_record(rows(export_text(dbsession, spec)), gone.uuid)
    new = [""] * len(table[0])
    new[0], new[table[0].index("name")], new[table[0].index("active")] = "test_specimen", "New", "true"
    upload(testapp, f"{spec.entity}_import", as_text(table + [new]), delete_missing="true")
    batch = the_batch(dbsession)
    assert sorted(status for status, _ in statuses(dbsession, batch)) == ["delete", "new",
                                                                          "unchanged"]
    post(testapp, batch, "execute")
    dbsession.expire_all()
    assert sorted(dbsession.scalars(select(Specimen.name))) == ["Kept", "New"]
    assert dbsession.get(Specimen, kept.uuid) is not None


def test_the_list_downloads_its_filtered_records_for_import(testapp, dbsession, spec):
    red = specimen(dbsession, parts=("R1",), name="Red one", color="red")
    specimen(dbsession, name="Blue one", color="blue")
    page = testapp.get("/specimens", {"color": "red"})
    link = page.html.find("a", string="Download for import")
    assert link is not None
    download = testapp.get(link["href"])
    assert download.content_type == "text/csv"
    table = rows(download.text)
    assert [row[1] for row in table[1:] if row[0] == "test_specimen"] == [red.uuid]
    # Uploaded as is, it changes nothing: the layout the import asks for.
    upload(testapp, "test_specimen_import", download.text)
    batch = the_batch(dbsession)
    assert statuses(dbsession, batch) == [("unchanged", red.uuid)]


def test_import_and_bulk_change_of_a_declared_table(testapp, dbsession, spec):
    first, second = specimen(dbsession, name="One"), specimen(dbsession, name="Two")
    other = specimen(dbsession, name="Other")
    page = testapp.get("/specimens")
    assert page.html.find("a", string="Import file")["href"].endswith(
        "/batches/new?type=test_specimen_import")
    bulk = testapp.get("/batches/bulk", [("type", "test_specimen_bulk"), ("uuid", first.uuid),
                                         ("uuid", second.uuid)])
    assert "2 specimens match" in bulk.text
    assert bulk.html.find("label", string="Set Color to red") is not None
    token = bulk.html.find("input", attrs={"name": "csrf_token"})["value"]
    testapp.post("/batches/bulk", [("csrf_token", token), ("type", "test_specimen_bulk"),
                                   ("uuid", first.uuid), ("uuid", second.uuid),
                                   ("action", "set_color_red")], status=303)
    batch = the_batch(dbsession)
    assert sorted(statuses(dbsession, batch)) == sorted([("update", first.uuid),
                                                         ("update", second.uuid)])
    post(testapp, batch, "execute")
    dbsession.expire_all()
    assert [s.color for s in (first, second, other)] == ["red", "red", None]
    changes = dbsession.scalars(select(Change).where(Change.entity_uuid == first.uuid,
                                                     Change.source == f"batch {batch.number}")).all()
    assert [json.loads(c.diff)["fields"] for c in changes] == [{"color": [None, "red"]}]


# Permissions per table -----------------------------------------------------------------------

def test_batches_need_the_tables_own_permissions(anonymous_app, testapp, dbsession):
    """batches.create/execute alone do not let a user create, change or delete records."""
    doomed = add_widget(dbsession, "Doomed")
    add_user(dbsession, "clerk", permissions=("batches.list", "batches.view", "batches.create",
                                              "batches.execute", "widgets.list", "widgets.view"))
    header = "type,uuid,description,active,item_code\n"
    # The administrator makes a batch that deletes every widget the file leaves out.
    upload(testapp, "widget_import", header + "widget,,Planted,true,\n", delete_missing="true")
    batch = the_batch(dbsession)
    testapp.post("/logout", {"csrf_token": testapp.get("/").html.find(
        "input", attrs={"name": "csrf_token"})["value"]})
    log_in(anonymous_app, "clerk").follow()
    assert "Import file" not in anonymous_app.get("/widgets").text
    anonymous_app.get("/batches/new?type=widget_import", status=403)
    refused = post(anonymous_app, batch, "execute", status=403)
    assert "widgets.create" in refused.text and "widgets.delete" in refused.text
    dbsession.expire_all()
    assert dbsession.get(Widget, doomed.uuid) is not None
    assert dbsession.scalar(select(func.count()).select_from(Widget)) == 1
    token = anonymous_app.get("/widgets").html.find("input", attrs={"name": "csrf_token"})
    bulk = anonymous_app.post("/batches/bulk", {"csrf_token": token["value"] if token else "",
                                                "type": "widget_bulk", "action": "delete"},
                              status=(400, 403))
    assert bulk.status_int in (400, 403)
    assert dbsession.scalar(select(func.count()).select_from(Batch)) == 1


# Declared rules in imports ------------------------------------------------------------------

def new_row(table, **values):
    row = [""] * len(table[0])
    row[0] = "test_specimen"
    for name, value in values.items():
        row[table[0].index(name)] = value
    return row


def test_a_unique_key_taken_by_a_record_or_an_earlier_line_is_refused(dbsession, spec):
    holder = specimen(dbsession, name="Holder", reference="R-1")
    table = rows(export_text(dbsession, spec))[:1]
    taken = table + [new_row(table, name="Copy", active="true", reference="R-1")]
    with pytest.raises(LayoutError) as refused:
        import_text(dbsession, spec, as_text(taken))
    assert refused.value.line == 2
    assert refused.value.reason == (f"reference R-1 is taken: another specimen "
                                    f"({holder.uuid}) has it")
    twice = table + [new_row(table, name="A", active="true", lot="L1", serial="4"),
                     new_row(table, name="B", active="true", lot="L1", serial="4")]
    with pytest.raises(LayoutError) as refused:
        import_text(dbsession, spec, as_text(twice))
    assert (refused.value.line, refused.value.reason) == (
        3, "lot and serial L1, 4 is on line 2 too: it must be unique")
    assert dbsession.scalar(select(func.count()).select_from(Specimen)) == 1


def test_a_range_and_a_hand_written_check_are_refused_with_a_reason(dbsession, spec):
    table = rows(export_text(dbsession, spec))[:1]
    with pytest.raises(LayoutError) as refused:
        import_text(dbsession, spec, as_text(table + [new_row(table, name="A", active="true",
                                                              rating="6")]))
    assert "rating must be at most 5" in refused.value.reason
    # serial <> 13 is a CHECK only the database knows: the chunk is refused with the reason.
    with pytest.raises(LayoutError) as refused:
        import_text(dbsession, spec, as_text(table + [new_row(table, name="A", active="true",
                                                              serial="13")]))
    assert "the database refused a record of lines 2-2" in refused.value.reason
    assert "serial_not_13" in refused.value.reason
    assert dbsession.scalar(select(func.count()).select_from(Specimen)) == 0


def test_a_batch_row_with_a_taken_key_is_an_error_row(testapp, dbsession, spec):
    holder = specimen(dbsession, name="Holder", reference="R-9")
    table = rows(export_text(dbsession, spec))[:1]
    upload(testapp, "test_specimen_import",
           as_text(table + [new_row(table, name="Copy", active="true", reference="R-9")]))
    batch = the_batch(dbsession)
    [row] = dbsession.scalars(select(BatchRow).where(BatchRow.batch_uuid == batch.uuid)).all()
    assert row.status == "error" and f"another specimen ({holder.uuid})" in row.message
