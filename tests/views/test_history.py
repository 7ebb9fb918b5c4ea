"""History: every change to a widget or its components, who and when, field by field."""
import json

from sqlalchemy import select

from poser_web.models import Change
from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import add_user, add_widget, csrf_token, log_in, widget_form


def changes(session, widget_uuid):
    session.expire_all()
    return list(session.scalars(select(Change).where(Change.entity_uuid == widget_uuid)
                                .order_by(Change.changed_at, Change.summary)))


def create(testapp, token, **kwargs):
    response = testapp.post("/widgets/new", widget_form(token, **kwargs), status=303)
    return response.location.rsplit("/", 1)[1]


def test_create_is_recorded_with_user_and_values(testapp, dbsession):
    token = csrf_token(testapp)
    uuid = create(testapp, token, description="Made", components=[
        {"item_code": "1", "description": "one"}, {"item_code": "2", "description": "two"}])
    [change] = changes(dbsession, uuid)
    assert (change.action, change.username, change.source) == ("create", "admin", "web")
    assert change.summary == "Created with 2 components"
    diff = json.loads(change.diff)
    assert diff["fields"] == {"description": [None, "Made"], "active": [None, True]}
    assert sorted(r["item_code"] for r in diff["components"]["added"]) == ["1", "2"]


def test_edit_records_each_field_and_component_change(testapp, dbsession):
    widget = add_widget(dbsession, "Before", components=[("K", "keep"), ("C", "change me"), ("D", "drop")])
    keep, change_me, drop = widget.components
    token = csrf_token(testapp)
    testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(
        token, "After", active=False, version=widget.version, components=[
            {"uuid": keep.uuid, "item_code": "K", "description": "keep"},
            {"uuid": change_me.uuid, "item_code": "C2", "description": "changed", "active": False},
            {"item_code": "N", "description": "new"}]), status=303)
    change = changes(dbsession, widget.uuid)[-1]
    assert change.action == "update" and change.username == "admin"
    diff = json.loads(change.diff)
    assert diff["fields"] == {"description": ["Before", "After"], "active": [True, False]}
    rows = diff["components"]
    assert [r["item_code"] for r in rows["added"]] == ["N"]
    assert [r["uuid"] for r in rows["removed"]] == [drop.uuid]
    assert rows["changed"] == [{"uuid": change_me.uuid, "item_code": "C2", "fields": {
        "item_code": ["C", "C2"], "description": ["change me", "changed"], "active": [True, False]}}]
    assert change.summary == ("Changed description, active; 1 component added; "
                              "1 component changed; 1 component removed")


def test_saving_without_changes_records_nothing(testapp, dbsession):
    widget = add_widget(dbsession, "Same", components=[("A", "a")])
    before = len(changes(dbsession, widget.uuid))
    token = csrf_token(testapp)
    testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(
        token, "Same", version=widget.version, components=[
            {"uuid": widget.components[0].uuid, "item_code": "A", "description": "a"}]), status=303)
    assert len(changes(dbsession, widget.uuid)) == before


def test_delete_is_recorded_and_history_stays_readable(testapp, dbsession):
    token = csrf_token(testapp)
    uuid = create(testapp, token, description="Doomed", components=[{"item_code": "X", "description": "x"}])
    widget = dbsession.get(Widget, uuid)
    response = testapp.post(f"/widgets/{uuid}/delete", {"csrf_token": token, "version": widget.version},
                            status=303)
    assert "Its history stays readable under Recent changes." in response.follow().text
    assert dbsession.get(Widget, uuid) is None
    last = changes(dbsession, uuid)[-1]
    assert (last.action, last.summary) == ("delete", "Deleted with its 1 component")
    page = testapp.get(f"/widgets/{uuid}/history")
    assert "This widget has been deleted; its history stays here." in page.text
    assert [td.get_text(strip=True) for td in page.html.select("#history tbody tr td:nth-of-type(4)")] == [
        "Deleted with its 1 component", "Created with 1 component"]  # newest first
    recent = testapp.get("/widgets/changes")
    assert "Doomed" in recent.text


def test_history_pages_show_who_when_and_the_differences(testapp, dbsession):
    token = csrf_token(testapp)
    uuid = create(testapp, token, description="Paged", components=[{"item_code": "P", "description": "p"}])
    widget = dbsession.get(Widget, uuid)
    testapp.post(f"/widgets/{uuid}/edit", widget_form(token, "Paged again", version=widget.version, components=[
        {"uuid": widget.components[0].uuid, "item_code": "P", "description": "p2"}]), status=303)
    history = testapp.get(f"/widgets/{uuid}/history")
    rows = history.html.select("#history tbody tr")
    assert len(rows) == 2
    assert rows[0].find_all("td")[1].get_text(strip=True) == "admin"
    detail = testapp.get(rows[0].a["href"])
    fields = [[td.get_text(strip=True) for td in tr.find_all("td")]
              for tr in detail.html.select("#change-fields tbody tr")]
    assert fields == [["Description", "Paged", "Paged again"]]
    changed = [[td.get_text(strip=True) for td in tr.find_all("td")]
               for tr in detail.html.select("#components-changed tbody tr")]
    assert changed == [["P", "Description", "p", "p2"]]
    assert "History" in [a.get_text(strip=True) for a in testapp.get(f"/widgets/{uuid}").html.find_all("a")]


def test_unknown_history_is_404(testapp):
    testapp.get("/widgets/" + "0" * 32 + "/history", status=404)
    testapp.get("/widgets/" + "0" * 32 + "/history/" + "1" * 32, status=404)
    testapp.get("/widgets/changes?page=x", status=400)


def test_history_needs_its_permission(anonymous_app, dbsession):
    widget = add_widget(dbsession, "Secret past")
    add_user(dbsession, "viewer", permissions=("widgets.list", "widgets.view"))
    log_in(anonymous_app, "viewer")
    anonymous_app.get(f"/widgets/{widget.uuid}/history", status=403)
    anonymous_app.get("/widgets/changes", status=403)
    page = anonymous_app.get(f"/widgets/{widget.uuid}")
    assert "History" not in [a.get_text(strip=True) for a in page.html.find_all("a")]


def test_changes_made_in_code_name_the_runas_user(dbsession):
    dbsession.info["runas"] = "importer"
    dbsession.info["source"] = "import"
    widget = add_widget(dbsession, "Scripted")
    widget.components.append(Component(item_code="S", description="s"))
    dbsession.flush()
    recorded = changes(dbsession, widget.uuid)
    assert [(c.action, c.username, c.source) for c in recorded] == [
        ("create", "importer", "import"), ("update", "importer", "import")]


def test_command_line_exports_show_under_recent_changes(testapp, dbsession):
    from poser_web.models import make_change, new_uuid

    dbsession.add(Change(**make_change("export", new_uuid(), "/tmp/widgets.csv",
                                       {"file": "/tmp/widgets.csv", "widgets": 2, "components": 5},
                                       "exporter", "export", entity="widget-export")))
    dbsession.flush()
    recent = testapp.get("/widgets/changes")
    row = next(tr for tr in recent.html.select("#history tbody tr") if "Exported" in tr.get_text())
    assert "Exported 2 widgets and 5 components" in row.get_text()
    assert "exporter" in row.get_text()
    detail = testapp.get(row.a["href"])
    assert "Exported to /tmp/widgets.csv" in " ".join(detail.text.split())


def test_a_component_deleted_in_code_is_recorded_as_removed_once(dbsession):
    """Code that drops a component from its widget and deletes it (both, as careful code does)
    gets one "removed" entry on the widget's history, and so one in the summary."""
    widget = add_widget(dbsession, "Parent", components=[("K", "keep"), ("D", "drop")])
    drop = widget.components[1]
    widget.components.remove(drop)
    dbsession.delete(drop)
    dbsession.flush()
    change = changes(dbsession, widget.uuid)[-1]
    assert [r["uuid"] for r in json.loads(change.diff)["components"]["removed"]] == [drop.uuid]
    assert change.summary == "1 component removed"


def test_a_component_deleted_on_its_own_is_recorded_on_its_widget(dbsession):
    widget = add_widget(dbsession, "Parent", components=[("K", "keep"), ("D", "drop")])
    drop = widget.components[1]
    dbsession.delete(drop)
    dbsession.flush()
    change = changes(dbsession, widget.uuid)[-1]
    assert [r["uuid"] for r in json.loads(change.diff)["components"]["removed"]] == [drop.uuid]
