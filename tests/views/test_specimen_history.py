"""History, lost-update protection and navigation for a table that only declared them."""
import json
from decimal import Decimal

from sqlalchemy import select

from poser_web.auth.permissions import catalogue
from poser_web.models import Change
from tests.helpers import add_user, add_widget, csrf_token, log_in
from tests.sample.models import Specimen, SpecimenPart
from tests.views.test_specimen_forms import reload, specimen_form


def changes(dbsession, uuid):
    dbsession.expire_all()
    return list(dbsession.scalars(select(Change).where(Change.entity_uuid == uuid)
                                  .order_by(Change.changed_at, Change.summary)))


def create(testapp, **values):
    token = csrf_token(testapp, "/specimens/new")
    response = testapp.post("/specimens/new", specimen_form(token, **values), status=303)
    return response.location.rsplit("/", 1)[1], token


def test_create_and_edit_are_recorded_with_parts(testapp, dbsession):
    widget = add_widget(dbsession, "Holder")
    uuid, token = create(testapp, name="Tracked", weight="2.5", widget=widget.uuid,
                         parts=[{"code": "A", "count": "1"}, {"code": "B"}])
    [created] = changes(dbsession, uuid)
    assert (created.entity, created.action, created.username) == ("test_specimen", "create", "admin")
    assert created.summary == "Created with 2 parts"
    diff = json.loads(created.diff)
    assert diff["fields"] == {"name": [None, "Tracked"], "weight": [None, "2.500"],
                              "active": [None, True], "widget_uuid": [None, widget.uuid]}
    assert [(r["code"], r["count"]) for r in diff["parts"]["added"]] == [("A", 1), ("B", None)]

    a, _b = reload(dbsession, uuid).parts
    testapp.post(f"/specimens/{uuid}/edit", specimen_form(
        token, version=1, name="Tracked", weight="2.75", received="2026-03-04", parts=[
            {"uuid": a.uuid, "code": "A", "count": "5"}, {"code": "C"}]), status=303)
    updated = changes(dbsession, uuid)[-1]
    assert updated.summary == ("Changed weight, received, widget; 1 part added; "
                               "1 part changed; 1 part removed")
    history = testapp.get(f"/specimens/{uuid}/history")
    assert len(history.html.select("#history tbody tr")) == 2
    detail = testapp.get(history.html.select("#history tbody tr")[0].a["href"])
    fields = [[td.get_text(strip=True) for td in tr.find_all("td")]
              for tr in detail.html.select("#change-fields tbody tr")]
    assert fields == [["Weight", "2.500", "2.750"], ["Received", "", "2026-03-04"],
                      ["Widget", "Holder", ""]]
    assert [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in detail.html.select("#parts-changed tbody tr")] == [["A", "Count", "1", "5"]]
    assert [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in detail.html.select("#parts-added tbody tr")] == [["C", ""]]
    assert [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in detail.html.select("#parts-removed tbody tr")] == [["B", ""]]
    assert [th.get_text(strip=True) for th in detail.html.select("#parts-added th")] == ["Code", "Count"]


def test_deleted_specimen_keeps_its_history(testapp, dbsession):
    uuid, token = create(testapp, name="Gone", parts=[{"code": "X"}])
    response = testapp.post(f"/specimens/{uuid}/delete", {"csrf_token": token, "version": "1"},
                            status=303)
    assert "Its history stays readable under Recent changes." in response.follow().text
    assert changes(dbsession, uuid)[-1].summary == "Deleted with its 1 part"
    page = testapp.get(f"/specimens/{uuid}/history")
    assert "This specimen has been deleted; its history stays here." in page.text
    assert "Gone" in testapp.get("/specimens/changes").text


def test_version_rises_with_the_specimen_and_its_parts(dbsession):
    specimen = Specimen(name="Counted", parts=[SpecimenPart(code="A")])
    dbsession.add(specimen)
    dbsession.flush()
    assert specimen.version == 1
    specimen.weight = Decimal("1.5")
    dbsession.flush()
    assert specimen.version == 2
    specimen.parts[0].count = 4
    dbsession.flush()
    assert specimen.version == 3
    specimen.parts.append(SpecimenPart(code="B"))
    dbsession.flush()
    assert specimen.version == 4
    specimen.parts.pop(0)
    dbsession.flush()
    assert specimen.version == 5


def test_stale_edit_and_delete_are_refused(testapp, dbsession):
    uuid, token = create(testapp, name="Shared")
    stale_delete = testapp.get(f"/specimens/{uuid}/delete")
    testapp.post(f"/specimens/{uuid}/edit", specimen_form(token, version=1, name="Bob's"), status=303)
    response = testapp.post(f"/specimens/{uuid}/edit", specimen_form(token, version=1, name="Alice's"),
                            status=409)
    assert "you had version 1; it is now version 2" in response.text
    assert response.forms["master-form"]["name"].value == "Alice's"  # input kept
    assert response.forms["master-form"]["notes"].value == ""
    stale_delete.forms["delete-form"].submit(status=409)
    testapp.post(f"/specimens/{uuid}/edit", specimen_form(token, name="No version"), status=409)
    assert reload(dbsession, uuid).name == "Bob's"


def test_menu_and_home_come_from_the_registered_views(testapp):
    home = testapp.get("/")
    assert [a.get_text(strip=True) for a in home.html.select("#poser-navbar .nav-link")] == [
        "Widgets", "Components", "Accounts", "Batches", "Datasync", "Specimens"]
    tables = [li.get_text(" ", strip=True) for li in home.html.select("#tables li")]
    assert {"Widgets : 0", "Components : 0", "Specimens : 0"} <= set(tables)
    page = testapp.get("/specimens")
    current = page.html.select('#poser-navbar [aria-current="page"]')
    assert [a.get_text(strip=True) for a in current] == ["Specimens"]
    assert page.html.select_one(".navbar-toggler")["data-bs-target"] == "#poser-navbar"


def test_menu_hides_tables_the_user_cannot_list(anonymous_app, dbsession):
    add_user(dbsession, "specimens-only", permissions=("specimens.list",))
    log_in(anonymous_app, "specimens-only")
    home = anonymous_app.get("/")
    assert [a.get_text(strip=True) for a in home.html.select("#poser-navbar .nav-link")] == ["Specimens"]
    assert [a.get_text(strip=True) for a in home.html.select("#tables a")] == ["Specimens"]


def test_specimen_permissions_are_registered_and_held_by_administrators(app, testapp):
    names = catalogue(app.registry)
    assert {f"specimens.{a}" for a in ("list", "view", "create", "edit", "delete", "export",
                                       "history")} <= set(names)
    testapp.get("/specimens/new")
    testapp.get("/specimens/changes")


def test_poser_permissions_lists_an_included_table(tmp_path, database_url, monkeypatch, capsys):
    from poser_web.cli import main
    from tests.databases import REPO

    ini = tmp_path / "app.ini"
    ini.write_text((REPO / "development.ini").read_text().replace(
        "poser.development = true", "poser.development = true\nposer.includes = tests.sample.views"))
    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    assert main(["permissions", str(ini)]) == 0
    out = capsys.readouterr().out
    for action in ("list", "create", "edit", "delete", "history"):
        assert f"specimens.{action}" in out


def test_deleting_a_record_another_table_still_refers_to_is_refused_with_409(testapp, dbsession):
    from tests.helpers import add_widget
    from tests.sample.models import Specimen

    widget = add_widget(dbsession, "Referenced")
    dbsession.flush()
    dbsession.add(Specimen(name="Uses it", widget=widget))
    dbsession.flush()
    form = testapp.get(f"/widgets/{widget.uuid}/delete").forms["delete-form"]
    refused = form.submit(status=409)
    assert "still used by other records" in refused.text and "Nothing was deleted" in refused.text
    dbsession.expire_all()
    assert dbsession.get(type(widget), widget.uuid) is not None
    testapp.get(f"/widgets/{widget.uuid}", status=200)  # the request's transaction stayed usable
