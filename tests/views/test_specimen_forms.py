"""Forms derived from a declaration (tests/sample): every column type, its limits, its messages."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from poser_web.tables.widgets.models import Widget
from tests import factories
from tests.helpers import add_user, add_widget, csrf_token, log_in
from tests.sample.models import Size, Specimen, SpecimenPart

FIELDS = ("name", "notes", "quantity", "weight", "received", "checked_at", "color", "size",
          "widget")


def specimen_form(token, version=None, parts=(), active=True, **values):
    """The fields the specimen form posts, in document order; parts: dicts of code, count, uuid."""
    fields = [("_charset_", "UTF-8"), ("__formid__", "master-form"), ("csrf_token", token)]
    if version is not None:
        fields.append(("version", str(version)))
    fields += [(name, str(values.get(name, ""))) for name in FIELDS[:4]]
    if active:
        fields.append(("active", "true"))
    fields += [(name, str(values.get(name, ""))) for name in FIELDS[4:]]
    fields.append(("__start__", "parts:sequence"))
    for part in parts:
        fields += [("__start__", "row:mapping"), ("uuid", part.get("uuid", "")),
                   ("code", part.get("code", "")), ("count", str(part.get("count", ""))),
                   ("__end__", "row:mapping")]
    fields += [("__end__", "parts:sequence"), ("save", "save")]
    return fields


def count(dbsession):
    return dbsession.scalar(select(func.count()).select_from(Specimen))


def reload(dbsession, uuid):
    dbsession.expire_all()
    return dbsession.get(Specimen, uuid)


def errors(response):
    return [e.get_text(" ", strip=True) for e in response.html.select(".invalid-feedback")]


def test_create_with_every_type(testapp, dbsession):
    widget = add_widget(dbsession, "Holder")
    token = csrf_token(testapp, "/specimens/new")
    response = testapp.post("/specimens/new", specimen_form(
        token, name="  Alpha  ", notes="Line one\nLine two", quantity="-42", weight="12.5",
        received="2026-11-27", checked_at="2026-11-27T14:30", color="green", size="medium",
        widget=widget.uuid, parts=[{"code": "P1", "count": "3"}, {"code": "P2"}]), status=303)
    page = response.follow()
    assert "Created specimen “Alpha”." in page.text
    assert page.html.title.get_text().startswith("Alpha")
    specimen = reload(dbsession, response.location.rsplit("/", 1)[1])
    assert (specimen.name, specimen.notes, specimen.quantity) == ("Alpha", "Line one\nLine two", -42)
    assert specimen.weight == Decimal("12.5") and specimen.active is True
    assert specimen.received == date(2026, 11, 27)
    assert specimen.checked_at == datetime(2026, 11, 27, 14, 30)  # UTC is the default zone
    assert (specimen.color, specimen.size, specimen.widget_uuid) == ("green", Size.medium, widget.uuid)
    assert [(p.code, p.count) for p in specimen.parts] == [("P1", 3), ("P2", None)]
    assert specimen.version == 1


def test_nullable_fields_may_stay_empty(testapp, dbsession):
    token = csrf_token(testapp, "/specimens/new")
    response = testapp.post("/specimens/new", specimen_form(token, name="Bare", active=False),
                            status=303)
    specimen = reload(dbsession, response.location.rsplit("/", 1)[1])
    assert specimen.active is False
    assert [getattr(specimen, f) for f in ("notes", "quantity", "weight", "received", "checked_at",
                                           "color", "size", "widget_uuid")] == [None] * 8


def test_edit_form_shows_the_saved_values_and_saves_changes(testapp, dbsession):
    widget = add_widget(dbsession, "Holder")
    specimen = Specimen(name="Beta", weight=Decimal("1.250"), quantity=7, received=date(2026, 1, 2),
                        checked_at=datetime(2026, 1, 2, 3, 4, 5), color="red", size=Size.large,
                        widget=widget, parts=[SpecimenPart(code="A", count=1)])
    dbsession.add(specimen)
    dbsession.flush()
    page = testapp.get(f"/specimens/{specimen.uuid}/edit")
    assert page.html.find("h1").get_text(strip=True) == "Edit specimen: Beta"
    form = page.forms["master-form"]
    assert form["weight"].value == "1.250" and form["quantity"].value == "7"
    assert form["received"].value == "2026-01-02" and form["checked_at"].value == "2026-01-02T03:04:05"
    assert form["color"].value == "red" and form["size"].value == "large"
    assert form["widget"].value == widget.uuid and form["version"].value == "1"
    assert form["notes"].value == ""  # None shows blank, never "None"
    token = csrf_token(testapp, "/specimens/new")
    testapp.post(f"/specimens/{specimen.uuid}/edit", specimen_form(
        token, version=1, name="Beta 2", weight="0.001", parts=[
            {"uuid": specimen.parts[0].uuid, "code": "A", "count": "2"}]), status=303)
    saved = reload(dbsession, specimen.uuid)
    assert (saved.name, saved.weight, saved.widget, saved.color) == ("Beta 2", Decimal("0.001"), None, None)
    assert [(p.code, p.count) for p in saved.parts] == [("A", 2)] and saved.version == 2


BAD_INPUT = [
    ({"name": ""}, "Name is required."),
    ({"name": "x" * 101}, "Too long: at most 100 characters."),
    ({"weight": "12345678.5"}, "Too many digits: at most 7 before the decimal point"),
    ({"weight": "1.2345"}, "Too many decimal places: at most 3."),
    ({"weight": "NaN"}, "Enter a number"),
    ({"weight": "Infinity"}, "Enter a number"),
    ({"weight": "1e5"}, "Enter a number"),
    ({"quantity": "2147483648"}, "Out of range: enter a number from -2,147,483,648 to 2,147,483,647."),
    ({"quantity": "1.5"}, "Enter a whole number"),
    ({"received": "2026-02-30"}, "Enter a real date"),
    ({"checked_at": "yesterday"}, "Enter a real date and time"),
    ({"color": "purple"}, "Choose one of: red, green, blue."),
    ({"size": "huge"}, "Choose one of: small, medium, large."),
    ({"widget": "0" * 32}, "There is no such widget"),
    ({"widget": "not a key"}, "There is no such widget"),
    ({"parts": [{"code": "P", "count": "many"}]}, "Enter a whole number"),
    ({"parts": [{"count": "2"}]}, "Code is required."),
]


@pytest.mark.parametrize(("values", "message"), BAD_INPUT)
def test_bad_input_is_a_clear_400_and_nothing_is_saved(testapp, dbsession, values, message):
    values = {"name": "Gamma", **values}
    token = csrf_token(testapp, "/specimens/new")
    response = testapp.post("/specimens/new", specimen_form(token, **values), status=400)
    assert any(message in error for error in errors(response)), errors(response)
    assert "The form was not saved." in response.text
    assert count(dbsession) == 0


@pytest.mark.parametrize("field", FIELDS + ("active", "parts", "version"))
def test_odd_postings_are_a_400_never_a_500(testapp, dbsession, field):
    token = csrf_token(testapp, "/specimens/new")
    base = [item for item in specimen_form(token, name="Odd") if item[0] != field]
    for extra in ([(field, "1"), (field, "2")],
                  [("__start__", f"{field}:mapping"), ("x", "1"), ("__end__", f"{field}:mapping")],
                  [("__start__", f"{field}:sequence"), ("x", "1"), ("__end__", f"{field}:sequence")],
                  [(field, "\x00"), (field, "9" * 400)]):
        fields = base[:3] + extra + base[3:]
        response = testapp.post("/specimens/new", fields, expect_errors=True)
        assert response.status_int in (303, 400), (extra, response.status)


def test_datetime_is_read_and_shown_in_the_display_time_zone(app_settings, dbsession, tm):
    import webtest

    from poser_web import main

    app = main({}, **{**app_settings, "poser.timezone": "Europe/Paris"})
    client = webtest.TestApp(app, extra_environ={
        "HTTP_HOST": "example.com", "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession})
    try:
        add_user(dbsession, "paris", admin=True)
        log_in(client, "paris")
        token = csrf_token(client, "/specimens/new")
        response = client.post("/specimens/new", specimen_form(
            token, name="Zoned", checked_at="2026-07-01T12:00"), status=303)
        specimen = reload(dbsession, response.location.rsplit("/", 1)[1])
        assert specimen.checked_at == datetime(2026, 7, 1, 10, 0)  # stored in UTC (CEST is +2)
        form = client.get(f"/specimens/{specimen.uuid}/edit").forms["master-form"]
        assert form["checked_at"].value == "2026-07-01T12:00"
    finally:
        app.registry["db_engine"].dispose()


def test_small_related_table_is_a_select(testapp, dbsession):
    add_widget(dbsession, "Only one")
    select_ = testapp.get("/specimens/new").html.find("select", attrs={"name": "widget"})
    assert [o.get_text(strip=True) for o in select_.find_all("option")] == ["—", "Only one"]


def test_large_related_table_is_a_picker_backed_by_a_lookup(testapp, dbsession):
    factories.widgets(dbsession, 101)
    page = testapp.get("/specimens/new")
    assert page.html.find("select", attrs={"name": "widget"}) is None
    picker = page.html.select_one(".poser-picker")
    assert picker.find("input", attrs={"name": "widget"})["type"] == "hidden"
    combobox = picker.find("input", attrs={"role": "combobox"})
    assert page.html.find("label", attrs={"for": combobox["id"]}).get_text(strip=True) == "Widget"
    found = testapp.get(picker["data-lookup"], {"q": "GET 09"}).json
    assert [r["label"] for r in found["results"]] == [f"Widget 09{n}" for n in range(10)]
    assert found["more"] is False
    everything = testapp.get(picker["data-lookup"]).json
    assert len(everything["results"]) == 20 and everything["more"] is True
    assert testapp.get(picker["data-lookup"], {"q": "%"}).json["results"] == []  # no wildcards
    chosen = dbsession.scalars(select(Widget).where(Widget.description == "Widget 050")).one()
    token = csrf_token(testapp, "/specimens/new")
    response = testapp.post("/specimens/new", specimen_form(token, name="Picked", widget=chosen.uuid),
                            status=303)
    edit = testapp.get(response.location + "/edit")
    assert edit.html.find("input", attrs={"role": "combobox"})["value"] == "Widget 050"


def test_lookup_needs_the_right_to_edit_and_a_known_field(anonymous_app, testapp, dbsession):
    testapp.get("/specimens/lookup/name", status=404)
    testapp.get("/specimens/lookup/parts", status=404)
    testapp.get("/specimens/lookup/widget", {"q": "x" * 101}, status=400)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp, "/specimens/new")})
    add_user(dbsession, "reader", permissions=("specimens.view",))
    log_in(anonymous_app, "reader")
    anonymous_app.get("/specimens/lookup/widget", status=403)  # lists (filters) may look up


def test_label_falls_back_to_a_name_column_then_the_key():
    from poser_web.display.labels import label_of

    assert label_of(Specimen(name="Named")) == "Named"
    part = SpecimenPart(uuid="1a2b3c4d" + "0" * 24, code=None)
    assert label_of(part) == "Specimen Part 1a2b3c4d"
    assert label_of(SpecimenPart(code="C7")) == "C7"
    assert label_of(Widget(description="Own __str__")) == "Own __str__"


def test_delete_confirmation_and_message_use_the_label(testapp, dbsession):
    specimen = Specimen(name="Doomed")
    dbsession.add(specimen)
    dbsession.flush()
    confirm = testapp.get(f"/specimens/{specimen.uuid}/delete")
    assert "This deletes specimen Doomed." in confirm.html.find("main").get_text(" ", strip=True) \
        .replace(" .", ".")
    response = confirm.forms["delete-form"].submit(status=303).follow()
    assert "Deleted specimen “Doomed”." in response.text
    assert reload(dbsession, specimen.uuid) is None


def test_a_declared_form_carries_the_csrf_token_and_needs_it(testapp, dbsession):
    page = testapp.get("/specimens/new")
    form = page.forms["master-form"]
    assert form["csrf_token"].value and "version" in form.fields
    fields = [item for item in specimen_form("wrong", name="Forged")]
    response = testapp.post("/specimens/new", fields, status=400)
    assert "Form expired" in response.text
    assert count(dbsession) == 0
    form["name"] = "Genuine"
    form.submit("save", status=303)
    assert count(dbsession) == 1
