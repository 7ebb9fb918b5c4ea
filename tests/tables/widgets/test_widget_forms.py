"""Create, view, edit and delete a widget with its components edited inline."""
import pytest
from sqlalchemy import event, func, select

from poser_web.tables.widgets.models import Component, Widget
from poser_web.tables.widgets.schema import MAX_COMPONENTS
from tests.helpers import add_widget, csrf_token, widget_form


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def token(testapp):
    return csrf_token(testapp)


def test_new_form_has_the_documented_labels(testapp):
    response = testapp.get("/widgets/new")
    text = response.text
    for label in ("Description", "Active", "Components", "Item Code", "Add Component", "Save"):
        assert label in text
    # Every visible input has a label tied to it.
    html = response.html
    for field in html.select("#master-form input[type=text], #master-form input[type=checkbox]"):
        assert html.find("label", attrs={"for": field["id"]}), field


def test_create_with_components(testapp, dbsession, token):
    response = testapp.post("/widgets/new", widget_form(token, "  Sprocket  ", components=[
        {"item_code": " 42 ", "description": "Basic Component"},
        {"item_code": "43", "description": "Spare", "active": False},
    ]), status=303)
    widget = dbsession.scalars(select(Widget)).one()
    assert response.location.endswith(f"/widgets/{widget.uuid}")
    assert widget.description == "Sprocket" and widget.active is True
    assert [(c.item_code, c.description, c.active) for c in widget.components] == [
        ("42", "Basic Component", True), ("43", "Spare", False)]
    page = response.follow()
    assert "Created widget “Sprocket”." in page.text
    assert "Basic Component" in page.text


def test_unchecked_active_means_inactive(testapp, dbsession, token):
    testapp.post("/widgets/new", widget_form(token, "Off", active=False), status=303)
    assert dbsession.scalars(select(Widget)).one().active is False


def test_blank_rows_are_ignored(testapp, dbsession, token):
    testapp.post("/widgets/new", widget_form(token, "Gaps", components=[
        {"item_code": "", "description": "  "},
        {"item_code": "A", "description": "kept"},
        {"item_code": "", "description": ""},
    ]), status=303)
    assert [c.item_code for c in dbsession.scalars(select(Component))] == ["A"]


def test_validation_errors_sit_next_to_the_field_and_keep_input(testapp, dbsession, token):
    response = testapp.post("/widgets/new", widget_form(token, "Keep me", components=[
        {"item_code": "OK-1", "description": "first row"},
        {"item_code": "", "description": "row missing its code"},
        {"item_code": "X" * 21, "description": "code too long"},
    ]), status=400)
    html = response.html
    assert "The form was not saved." in response.text
    rows = html.select(".deform-seq-item")
    assert len(rows) == 3
    assert "Item Code is required." in rows[1].get_text()
    assert "Too long: at most 20 characters." in rows[2].get_text()
    assert "Item Code is required." not in rows[0].get_text()
    assert rows[0].find("input", attrs={"name": "item_code"})["value"] == "OK-1"
    assert rows[1].find("input", attrs={"name": "description"})["value"] == "row missing its code"
    assert html.find("input", attrs={"name": "description", "id": True})["value"] == "Keep me"
    assert count(dbsession, Widget) == 0 and count(dbsession, Component) == 0


def test_description_is_required(testapp, dbsession, token):
    response = testapp.post("/widgets/new", widget_form(token, "   "), status=400)
    assert "Description is required." in response.text
    assert count(dbsession, Widget) == 0


def test_too_many_components_is_refused(testapp, dbsession, token):
    rows = [{"item_code": str(i), "description": "x"} for i in range(MAX_COMPONENTS + 1)]
    response = testapp.post("/widgets/new", widget_form(token, "Crowded", components=rows), status=400)
    assert f"At most {MAX_COMPONENTS} rows" in response.text
    assert count(dbsession, Widget) == 0 and count(dbsession, Component) == 0


def test_edit_form_shows_current_values(testapp, dbsession):
    widget = add_widget(dbsession, "Current", components=[("C1", "first"), ("C2", "second", False)])
    form = testapp.get(f"/widgets/{widget.uuid}/edit").forms["master-form"]
    assert form.get("description", index=0).value == "Current"
    assert [f.value for f in form.fields["item_code"]] == ["C1", "C2"]
    assert [f.value for f in form.fields["uuid"]] == [c.uuid for c in widget.components]


def test_edit_updates_components_in_place(testapp, dbsession, token):
    widget = add_widget(dbsession, "Before", components=[("A", "keep"), ("B", "change"), ("C", "drop")])
    keep, change, drop = widget.components
    uuids = (keep.uuid, change.uuid, drop.uuid)
    response = testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(token, "After", version=widget.version, components=[
        {"uuid": uuids[0], "item_code": "A", "description": "keep"},
        {"uuid": uuids[1], "item_code": "B2", "description": "changed", "active": False},
        {"item_code": "D", "description": "new"},
    ]), status=303)
    assert "Saved widget “After”." in response.follow().text
    dbsession.expire_all()
    rows = {c.uuid: c for c in dbsession.scalars(select(Component))}
    assert uuids[0] in rows and uuids[1] in rows and uuids[2] not in rows
    assert (rows[uuids[1]].item_code, rows[uuids[1]].description, rows[uuids[1]].active) == (
        "B2", "changed", False)
    new = [c for c in rows.values() if c.uuid not in uuids]
    assert [c.item_code for c in new] == ["D"]
    assert dbsession.get(Widget, widget.uuid).description == "After"


def test_edit_and_save_read_the_components_with_the_widget(testapp, dbsession, engine, token):
    """The form's rows come in the statement that reads (on a save: locks) the widget, not
    in a lazy load of their own; the save still writes what was posted."""
    widget = add_widget(dbsession, "Rows", components=[("A", "first"), ("B", "second")])
    uuid, version = widget.uuid, widget.version
    rows = [{"uuid": c.uuid, "item_code": c.item_code, "description": c.description}
            for c in widget.components]
    dbsession.expunge_all()  # nothing kept in the session: each request reads afresh
    seen = []

    def statement(conn, cursor, text, *args):
        seen.append(text)

    event.listen(engine, "before_cursor_execute", statement)
    try:
        form = testapp.get(f"/widgets/{uuid}/edit").forms["master-form"]
        assert [f.value for f in form.fields["item_code"]] == ["A", "B"]
        dbsession.expunge_all()
        rows[1]["description"] = "changed"
        testapp.post(f"/widgets/{uuid}/edit", widget_form(token, "Rows", version=version,
                                                          components=rows), status=303)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    component_reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")
                       and "FROM poser_component" in s]
    assert component_reads == [], component_reads
    dbsession.expunge_all()
    assert [c.description for c in dbsession.get(Widget, uuid).components] == ["first", "changed"]


def test_edit_refuses_a_component_of_another_widget(testapp, dbsession, token):
    mine = add_widget(dbsession, "Mine")
    theirs = add_widget(dbsession, "Theirs", components=[("T", "theirs")])
    stolen = theirs.components[0].uuid
    response = testapp.post(f"/widgets/{mine.uuid}/edit", widget_form(token, "Mine", version=mine.version, components=[
        {"uuid": stolen, "item_code": "T", "description": "hijacked"}]), status=400)
    assert "This row no longer exists; reload the page." in response.text
    dbsession.expire_all()
    assert dbsession.get(Component, stolen).description == "theirs"


def test_view_page_lists_components(testapp, dbsession):
    widget = add_widget(dbsession, "Shown", components=[("S1", "one"), ("S2", "two", False)])
    response = testapp.get(f"/widgets/{widget.uuid}")
    assert response.html.find("h1").get_text(strip=True) == "Widget: Shown"
    cells = [td.get_text(strip=True) for td in response.html.select("section table tbody td")]
    assert cells == ["S1", "one", "Yes", "S2", "two", "No"]


def test_view_page_of_widget_without_components(testapp, dbsession):
    widget = add_widget(dbsession, "Lonely")
    assert "This widget has no components." in testapp.get(f"/widgets/{widget.uuid}").text


@pytest.mark.parametrize("path", ["/widgets/{}", "/widgets/{}/edit", "/widgets/{}/delete"])
@pytest.mark.parametrize("key", ["0" * 32, "not-a-uuid", "ABCDEF" * 6])
def test_unknown_or_malformed_uuid_is_404(testapp, path, key):
    response = testapp.get(path.format(key), status=404)
    assert "Not found" in response.text


def test_delete_confirms_then_deletes(testapp, dbsession, token):
    widget = add_widget(dbsession, "Doomed", components=[("1", "a"), ("2", "b"), ("3", "c")])
    confirm = testapp.get(f"/widgets/{widget.uuid}/delete")
    assert "and its 3 components" in confirm.text
    assert count(dbsession, Widget) == 1  # a GET never changes data
    response = confirm.forms["delete-form"].submit(status=303)
    assert response.location.endswith("/widgets")
    assert "Deleted widget “Doomed”." in response.follow().text
    assert count(dbsession, Widget) == 0 and count(dbsession, Component) == 0


def test_delete_summary_singular_and_none(testapp, dbsession):
    one = add_widget(dbsession, "One", components=[("1", "a")])
    none = add_widget(dbsession, "None")
    assert "and its 1 component." in testapp.get(f"/widgets/{one.uuid}/delete").text
    assert "and its" not in testapp.get(f"/widgets/{none.uuid}/delete").text


@pytest.mark.parametrize("bad_token", [None, "wrong"])
def test_posts_without_a_valid_csrf_token_are_refused(testapp, dbsession, bad_token):
    widget = add_widget(dbsession, "Guarded", components=[("G", "g")])
    testapp.get("/widgets/new")  # the session exists, so only the token is wrong
    for url in ("/widgets/new", f"/widgets/{widget.uuid}/edit"):
        response = testapp.post(url, widget_form(bad_token, "Hacked"), status=400)
        assert "nothing was saved" in response.text
    response = testapp.post(f"/widgets/{widget.uuid}/delete",
                            {} if bad_token is None else {"csrf_token": bad_token}, status=400)
    dbsession.expire_all()
    assert [w.description for w in dbsession.scalars(select(Widget))] == ["Guarded"]
    assert count(dbsession, Component) == 1


def test_html_in_text_is_shown_as_text(testapp, dbsession, token):
    testapp.post("/widgets/new", widget_form(token, "<script>alert(1)</script>", components=[
        {"item_code": "<b>", "description": "<img src=x onerror=alert(1)>"}]), status=303)
    widget = dbsession.scalars(select(Widget)).one()
    for url in ("/widgets", f"/widgets/{widget.uuid}", f"/widgets/{widget.uuid}/edit", "/components"):
        text = testapp.get(url).text
        assert "<script>alert(1)</script>" not in text
        assert "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in testapp.get(f"/widgets/{widget.uuid}").text


@pytest.mark.parametrize("fields", [
    [],
    [("__start__", "components:sequence")],
    [("__end__", "components:sequence")],
    [("__start__", "bogus"), ("__end__", "bogus")],
    [("description", "x"), ("components", "not rows")],
    [("description", "NUL \x00 inside")],
    [("description", "x"), ("__start__", "components:sequence"), ("item_code", "1"),
     ("__end__", "components:sequence")],
], ids=["empty", "unclosed", "unopened", "bogus-marker", "scalar-rows", "nul", "row-not-mapping"])
def test_malformed_posts_are_refused_not_crashed(testapp, dbsession, token, fields):
    response = testapp.post("/widgets/new", [("csrf_token", token)] + fields, expect_errors=True)
    assert response.status_int == 400, response.status
    assert count(dbsession, Widget) == 0 and count(dbsession, Component) == 0
