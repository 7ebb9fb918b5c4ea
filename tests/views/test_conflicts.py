"""No edit is silently lost: saves and deletes based on an old version are refused."""
from sqlalchemy import select

from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import add_widget, csrf_token, widget_form


def reload(dbsession, widget):
    dbsession.expire_all()
    return dbsession.get(Widget, widget.uuid)


def test_version_rises_with_widget_and_component_changes(dbsession):
    widget = add_widget(dbsession, "Counted", components=[("A", "a"), ("B", "b")])
    assert widget.version == 1
    widget.description = "Renamed"
    dbsession.flush()
    assert widget.version == 2
    widget.components[0].description = "changed row only"
    dbsession.flush()
    assert widget.version == 3
    widget.components.append(Component(item_code="C", description="c"))
    dbsession.flush()
    assert widget.version == 4
    widget.components.pop(0)
    dbsession.flush()
    assert widget.version == 5
    dbsession.flush()
    assert widget.version == 5  # nothing changed, no bump


def test_each_save_through_the_form_bumps_the_version(testapp, dbsession):
    widget = add_widget(dbsession, "Form")
    token = csrf_token(testapp)
    testapp.post(f"/widgets/{widget.uuid}/edit",
                 widget_form(token, "Form 2", version=1), status=303)
    assert reload(dbsession, widget).version == 2
    form = testapp.get(f"/widgets/{widget.uuid}/edit").forms["master-form"]
    assert form["version"].value == "2"


def test_stale_edit_is_refused_and_input_kept(testapp, dbsession):
    widget = add_widget(dbsession, "Shared", components=[("A", "original")])
    component = widget.components[0]
    # Alice opens the form (version 1); Bob saves first.
    alice_form = testapp.get(f"/widgets/{widget.uuid}/edit").forms["master-form"]
    token = csrf_token(testapp)
    testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(
        token, "Bob's title", version=1,
        components=[{"uuid": component.uuid, "item_code": "A", "description": "bob"}]), status=303)
    # Alice saves her edit, based on version 1.
    alice_form.set("description", "Alice's title", index=0)
    alice_form.set("description", "alice", index=1)
    response = alice_form.submit("save", status=409)
    assert "changed while you were editing" in response.text
    assert "you had version 1; it is now version 2" in response.text
    assert "Description: Bob's title" in response.text  # what is saved now
    kept = response.forms["master-form"]
    assert kept.get("description", index=0).value == "Alice's title"
    assert kept.get("description", index=1).value == "alice"
    assert response.html.find("a", string="Reload the latest version")["href"].endswith(
        f"/widgets/{widget.uuid}/edit")
    saved = reload(dbsession, widget)
    assert saved.description == "Bob's title"
    assert [c.description for c in saved.components] == ["bob"]


def test_stale_component_removal_is_refused(testapp, dbsession):
    widget = add_widget(dbsession, "Rows", components=[("A", "a"), ("B", "b")])
    token = csrf_token(testapp)
    a, b = widget.components
    # Someone edits row B; a stale form then tries to drop row A.
    testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(token, "Rows", version=1, components=[
        {"uuid": a.uuid, "item_code": "A", "description": "a"},
        {"uuid": b.uuid, "item_code": "B", "description": "b changed"}]), status=303)
    testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(token, "Rows", version=1, components=[
        {"uuid": b.uuid, "item_code": "B", "description": "b"}]), status=409)
    dbsession.expire_all()
    assert sorted(c.description for c in dbsession.scalars(select(Component))) == ["a", "b changed"]


def test_edit_without_a_version_is_refused(testapp, dbsession):
    widget = add_widget(dbsession, "No version")
    token = csrf_token(testapp)
    response = testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(token, "Lost"), status=409)
    assert "did not say which version" in response.text
    assert reload(dbsession, widget).description == "No version"


def test_stale_delete_is_refused(testapp, dbsession):
    widget = add_widget(dbsession, "Delete race", components=[("A", "a")])
    confirm = testapp.get(f"/widgets/{widget.uuid}/delete")
    token = csrf_token(testapp)
    testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(token, "Changed meanwhile", version=1, components=[
        {"item_code": "A", "description": "a"}, {"item_code": "N", "description": "new"}]), status=303)
    response = confirm.forms["delete-form"].submit(status=409)
    assert "Not deleted: this widget changed since you opened this page." in response.text
    assert "and its 2 components" in response.text  # the current state, to decide again
    assert reload(dbsession, widget) is not None
    # Confirming again, knowingly, deletes.
    response.forms["delete-form"].submit(status=303)
    assert reload(dbsession, widget) is None
