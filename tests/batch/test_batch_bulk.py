"""Bulk change from the widget list: every widget a search matches, one action, a batch to
review, then execute — each action checked against the widget pages' permissions."""
import json
import re

from sqlalchemy import select

from poser_web.models import Batch, BatchRow, Change
from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import add_user, add_widget, log_in


def token_of(app, url):
    return re.search(r'name="csrf_token" value="([^"]+)"', app.get(url).text).group(1)


def make_bulk(app, action, status=303, **search):
    url = "/batches/bulk?type=widget_bulk"
    return app.post("/batches/bulk", {"csrf_token": token_of(app, url), "type": "widget_bulk",
                                      "action": action, **search}, status=status)


def switch_user(app, username):
    app.post("/logout", {"csrf_token": token_of(app, "/batches")})
    log_in(app, username)


def newest(dbsession):
    dbsession.expire_all()
    return dbsession.scalars(select(Batch).order_by(Batch.number.desc())).first()


def test_the_list_offers_bulk_change_with_its_search(testapp, dbsession):
    add_widget(dbsession, "Alpha")
    page = testapp.get("/widgets?q=alp&active=yes&page=1")
    href = page.html.find("a", string="Bulk change")["href"]
    assert "type=widget_bulk" in href and "q=alp" in href and "active=yes" in href
    assert "page=" not in href
    bulk = testapp.get(href)
    assert "1 widgets match" in " ".join(bulk.html.find(id="bulk-count").get_text().split())


def test_set_inactive_for_all_matching_then_execute(testapp, dbsession):
    alpha = add_widget(dbsession, "Alpha one")
    add_widget(dbsession, "Alpha two", active=False)
    beta = add_widget(dbsession, "Beta")
    make_bulk(testapp, "deactivate", q="alpha")
    batch = newest(dbsession)
    rows = dbsession.scalars(select(BatchRow).where(BatchRow.batch_uuid == batch.uuid)).all()
    assert sorted((r.label, r.status) for r in rows) == [("Alpha one", "update"),
                                                         ("Alpha two", "unchanged")]
    assert json.loads(next(r for r in rows if r.status == "update").diff) == {
        "fields": {"active": [True, False]}}
    testapp.post(f"/batches/{batch.uuid}/execute",
                 {"csrf_token": token_of(testapp, f"/batches/{batch.uuid}")}, status=303)
    dbsession.expire_all()
    assert dbsession.get(Widget, alpha.uuid).active is False
    assert dbsession.get(Widget, alpha.uuid).version == 2
    assert dbsession.get(Widget, beta.uuid).active is True
    [change] = dbsession.scalars(select(Change).where(Change.source == f"batch {batch.number}"))
    assert (change.entity_uuid, change.username, change.summary) == (
        alpha.uuid, "admin", "Changed active")


def test_delete_removes_widgets_with_their_components(testapp, dbsession):
    doomed = add_widget(dbsession, "Old", components=[("X1", "Part")]).uuid
    kept = add_widget(dbsession, "Keep").uuid
    make_bulk(testapp, "delete", q="old")
    batch = newest(dbsession)
    testapp.post(f"/batches/{batch.uuid}/execute",
                 {"csrf_token": token_of(testapp, f"/batches/{batch.uuid}")}, status=303)
    dbsession.expire_all()
    assert dbsession.get(Widget, doomed) is None
    assert dbsession.get(Widget, kept) is not None
    assert dbsession.scalars(select(Component)).all() == []
    [change] = dbsession.scalars(select(Change).where(Change.source == f"batch {batch.number}"))
    assert change.summary == "Deleted with its 1 component"


def test_each_action_needs_its_permission(anonymous_app, dbsession):
    widget = add_widget(dbsession, "Alpha")
    add_user(dbsession, "admin", admin=True)
    add_user(dbsession, "clerk", permissions=(
        "widgets.list", "widgets.edit", "batches.list", "batches.view", "batches.create",
        "batches.execute"))
    log_in(anonymous_app, "clerk")
    page = anonymous_app.get("/batches/bulk?type=widget_bulk")
    assert page.html.find("label", string="Set inactive")
    assert not page.html.find("label", string="Delete")
    refused = make_bulk(anonymous_app, "delete", status=403)
    assert "needs the widgets.delete permission" in refused.text
    # A delete batch made by an administrator: the clerk may not execute it.
    switch_user(anonymous_app, "admin")
    make_bulk(anonymous_app, "delete")
    batch = newest(dbsession)
    switch_user(anonymous_app, "clerk")
    refused = anonymous_app.post(f"/batches/{batch.uuid}/execute", {
        "csrf_token": token_of(anonymous_app, f"/batches/{batch.uuid}")}, status=403)
    assert "needs the widgets.delete permission" in refused.text
    dbsession.expire_all()
    assert dbsession.get(Widget, widget.uuid) is not None
    assert newest(dbsession).state == "ready"


def test_selected_rows_only(testapp, dbsession):
    one = add_widget(dbsession, "One").uuid
    add_widget(dbsession, "Two")
    page = testapp.get(f"/batches/bulk?type=widget_bulk&uuid={one}")
    assert "1 widgets match" in " ".join(page.html.find(id="bulk-count").get_text().split())
    make_bulk(testapp, "deactivate", uuid=one)
    batch = newest(dbsession)
    rows = dbsession.scalars(select(BatchRow).where(BatchRow.batch_uuid == batch.uuid)).all()
    assert [(r.label, r.status) for r in rows] == [("One", "update")]
    assert "1 selected" in batch.description


def test_rows_ticked_on_the_list_go_to_bulk_change(testapp, dbsession):
    add_widget(dbsession, "One")
    two = add_widget(dbsession, "Two")
    add_widget(dbsession, "Three")
    dbsession.flush()
    page = testapp.get("/widgets")
    form = page.forms["grid-selection"]
    ticked = page.html.find("input", attrs={"name": "uuid", "value": two.uuid})
    assert ticked["aria-label"] == "Select Two" and ticked["form"] == "grid-selection"
    bulk = testapp.get(form.action, {"type": "widget_bulk", "uuid": two.uuid})
    assert "1 widgets match" in " ".join(bulk.html.find(id="bulk-count").get_text().split())


def test_no_selection_column_without_the_right_to_make_batches(anonymous_app, dbsession):
    add_user(dbsession, "viewer", permissions=["widgets.list"])
    add_widget(dbsession, "One")
    log_in(anonymous_app, "viewer")
    page = anonymous_app.get("/widgets")
    assert page.html.find(id="grid-selection") is None
    assert page.html.find("input", attrs={"name": "uuid"}) is None


def test_bulk_change_keeps_every_value_of_a_filter_that_takes_several(testapp, dbsession):
    from tests.specimens import add_specimen

    for name, color in (("Ant", "red"), ("Bee", "blue"), ("Cat", "green")):
        add_specimen(dbsession, name, color=color)
    page = testapp.get("/specimens?color=red&color=blue")
    href = page.html.find("a", string="Bulk change")["href"]
    assert "color=red" in href and "color=blue" in href
    bulk = testapp.get(href)
    assert "2 specimens match" in " ".join(bulk.html.find(id="bulk-count").get_text().split())
