"""Declared rules (issue 18) through the real form of tests/sample's Specimen: a unique reference,
a unique (lot, serial), a rating from 1 to 5, a price of at least 0, defaults, and a CHECK
written by hand. Each broken rule is a message at its field and nothing saved, never a 500."""
from decimal import Decimal

import pytest
from sqlalchemy import CheckConstraint, func, null, select

from tests.helpers import add_widget, create_record, post_form
from tests.sample.models import Specimen


def count(dbsession):
    return dbsession.scalar(select(func.count()).select_from(Specimen))


def field_error(response, field):
    """The error text shown under the form's field `field` ("" when none)."""
    element = response.html.find(attrs={"name": field})
    oid = element["id"] if element is not None else None
    found = response.html.find(id=f"error-{oid}") if oid else None
    return found.get_text(" ", strip=True) if found else ""


def test_a_duplicate_code_is_a_message_at_the_field_naming_and_linking_the_record(testapp, dbsession):
    first = create_record(dbsession, Specimen, name="First", reference="C-1")
    response = post_form(testapp, "/specimens/new", {"name": "Second", "reference": "C-1"}, status=400)
    assert field_error(response, "reference") == "Specimen “First” has this reference already: it must be unique."
    link = response.html.find(id=response.html.find(attrs={"name": "reference"})["id"].join(
        ("error-", ""))).find("a")
    assert link["href"].endswith(f"/specimens/{first.uuid}")
    summary = response.html.select_one(".poser-error-summary").get_text(" ", strip=True)
    assert "Specimen “First” has this reference already: it must be unique." in summary
    assert "<a" not in summary
    assert count(dbsession) == 1


def test_a_duplicate_code_on_edit_is_refused_and_its_own_code_is_not_a_duplicate(testapp, dbsession):
    create_record(dbsession, Specimen, name="Holder", reference="C-1")
    mine = create_record(dbsession, Specimen, name="Mine", reference="C-2")
    response = post_form(testapp, f"/specimens/{mine.uuid}/edit", {"reference": "C-1"}, status=400)
    assert "has this reference already" in field_error(response, "reference")
    post_form(testapp, f"/specimens/{mine.uuid}/edit", {"name": "Mine, renamed"}, status=303)
    dbsession.expire_all()
    assert (mine.name, mine.reference) == ("Mine, renamed", "C-2")


def test_a_composite_key_is_unique_as_a_pair_and_blanks_never_clash(testapp, dbsession):
    create_record(dbsession, Specimen, name="One", lot="L1", serial=1)
    response = post_form(testapp, "/specimens/new", {"name": "Two", "lot": "L1", "serial": 1},
                         status=400)
    assert field_error(response, "lot") == ("Specimen “One” has this lot and serial already: "
                                            "it must be unique.")
    post_form(testapp, "/specimens/new", {"name": "Three", "lot": "L1", "serial": 2}, status=303)
    post_form(testapp, "/specimens/new", {"name": "Four", "lot": "L2", "serial": 1}, status=303)
    for name in ("Five", "Six"):  # no reference, no lot: NULL is never a duplicate
        post_form(testapp, "/specimens/new", {"name": name, "reference": None, "lot": None}, status=303)
    assert count(dbsession) == 5


@pytest.mark.parametrize("field, typed, message", [
    ("rating", "6", "Out of range: enter a number from 1 to 5."),
    ("rating", "0", "Out of range: enter a number from 1 to 5."),
    ("price", "-1", "Out of range: enter a number at least 0."),
    ("price", "-0.01", "Out of range: enter a number at least 0."),
])
def test_a_value_out_of_its_declared_range_is_a_message_at_the_field(testapp, dbsession, field,
                                                                     typed, message):
    response = post_form(testapp, "/specimens/new", {"name": "Ranged", field: typed}, status=400)
    assert field_error(response, field) == message
    assert count(dbsession) == 0


def test_the_ends_of_a_range_are_allowed(testapp, dbsession):
    for rating, price in (("1", "0"), ("5", "99999999.99")):
        post_form(testapp, "/specimens/new", {"name": f"Edge {rating}", "rating": rating,
                                              "price": price}, status=303)
    assert sorted(dbsession.scalars(select(Specimen.rating))) == [1, 5]


def test_a_range_is_the_number_inputs_min_and_max(testapp):
    page = testapp.get("/specimens/new")
    rating = page.html.find("input", attrs={"name": "rating"})
    assert (rating["type"], rating["min"], rating["max"], rating["step"]) == ("number", "1", "5", "1")
    price = page.html.find("input", attrs={"name": "price"})
    assert (price["type"], price["min"], price["step"]) == ("number", "0", "0.01")
    assert not price.has_attr("max")
    assert page.html.find("input", attrs={"name": "quantity"})["type"] == "text"  # no range


def test_defaults_are_preselected_on_the_create_form_only(testapp, dbsession):
    form = testapp.get("/specimens/new").forms["master-form"]
    assert form["rating"].value == "3"  # default=3
    assert form["price"].value == "0.50"  # server_default="0.50"
    assert form["grade"].value == "standard"  # a choice's default
    assert form["active"].checked  # a boolean's
    assert form["name"].value == "" and form["lot"].value == ""  # no default: blank
    bare = create_record(dbsession, Specimen, name="Bare", rating=null(), grade=null())
    dbsession.expire_all()
    edit = testapp.get(f"/specimens/{bare.uuid}/edit").forms["master-form"]
    assert (edit["rating"].value, edit["grade"].value) == ("", "")  # what is saved, not a default


def test_defaults_are_saved_as_shown_and_a_cleared_default_is_saved_blank(testapp, dbsession):
    post_form(testapp, "/specimens/new", {"name": "Kept"}, status=303)
    post_form(testapp, "/specimens/new", {"name": "Cleared", "rating": None, "price": None,
                                          "grade": None}, status=303)
    dbsession.expire_all()
    kept, cleared = (dbsession.scalars(select(Specimen).where(Specimen.name == n)).one()
                     for n in ("Kept", "Cleared"))
    assert (kept.rating, kept.price, kept.grade) == (3, Decimal("0.50"), "standard")
    assert (cleared.rating, cleared.price, cleared.grade) == (None, None, None)


def test_a_check_only_the_database_knows_is_a_400_naming_it(testapp, dbsession):
    response = post_form(testapp, "/specimens/new", {"name": "Thirteen", "serial": 13}, status=400)
    assert field_error(response, "serial") == (
        "The database refused this serial: it breaks the rule ck_poser_test_specimen_serial_not_13.")
    assert "The form was not saved." in response.text
    assert count(dbsession) == 0
    testapp.get("/specimens", status=200)  # the request's transaction stayed usable


def test_an_edit_the_database_refuses_leaves_the_record_as_it_was(testapp, dbsession):
    mine = create_record(dbsession, Specimen, name="Mine", serial=2)
    response = post_form(testapp, f"/specimens/{mine.uuid}/edit", {"name": "Renamed", "serial": 13},
                         status=400)
    assert field_error(response, "serial") == (
        "The database refused this serial: it breaks the rule ck_poser_test_specimen_serial_not_13.")
    dbsession.expire_all()
    assert (mine.name, mine.serial, mine.version) == ("Mine", 2, 1)
    testapp.get("/specimens", status=200)  # the request's transaction stayed usable
    post_form(testapp, f"/specimens/{mine.uuid}/edit", {"name": "Renamed"}, status=303)
    dbsession.expire_all()
    assert (mine.name, mine.serial, mine.version) == ("Renamed", 2, 2)


def test_a_duplicate_that_races_past_the_check_is_a_message_at_the_field(testapp, dbsession,
                                                                        monkeypatch):
    create_record(dbsession, Specimen, name="Winner", reference="RACE")
    monkeypatch.setattr("poser_web.forms.rules.find_conflicts", lambda *args: [])
    response = post_form(testapp, "/specimens/new", {"name": "Loser", "reference": "RACE"}, status=400)
    assert field_error(response, "reference") == "Another specimen has this reference already."
    mine = create_record(dbsession, Specimen, name="Mine", lot="L", serial=2)
    create_record(dbsession, Specimen, name="Other", lot="L", serial=3)
    response = post_form(testapp, f"/specimens/{mine.uuid}/edit", {"serial": 3}, status=400)
    assert field_error(response, "lot") == "Another specimen has this lot and serial already."
    dbsession.expire_all()
    assert mine.serial == 2 and count(dbsession) == 3


def test_a_range_the_form_did_not_check_is_refused_by_the_database(testapp, dbsession, monkeypatch):
    monkeypatch.setattr("poser_web.forms.derive.check_value", lambda column, value: None)
    monkeypatch.setattr("poser_web.forms.rules.check_values", lambda model, values: {})
    response = post_form(testapp, "/specimens/new", {"name": "Unchecked", "rating": "9"}, status=400)
    assert field_error(response, "rating") == "Out of range: enter a number from 1 to 5."
    assert count(dbsession) == 0


@pytest.mark.parametrize("button, goes_to", [
    ("save", "/specimens/{uuid}"), ("save_add", "/specimens/new"),
    ("save_continue", "/specimens/{uuid}/edit")])
def test_save_and_add_another_and_save_and_continue_editing(testapp, dbsession, button, goes_to):
    page = testapp.get("/specimens/new")
    titles = [b.get_text(strip=True) for b in page.html.select("#master-form button[type=submit]")]
    assert titles == ["Save", "Save and add another", "Save and continue editing"]
    response = post_form(testapp, "/specimens/new", {"name": "Pressed"}, button=button, status=303)
    uuid = dbsession.scalars(select(Specimen.uuid)).one()
    assert response.location.endswith(goes_to.format(uuid=uuid))
    assert "Created specimen “Pressed”." in response.follow().text
    response = post_form(testapp, f"/specimens/{uuid}/edit", {"name": "Again"}, button=button,
                         status=303)
    assert response.location.endswith(goes_to.format(uuid=uuid))
    assert "Saved specimen “Again”." in response.follow().text


def test_the_widget_form_has_the_same_buttons(testapp):
    page = testapp.get("/widgets/new")
    assert [b.get_text(strip=True) for b in page.html.select("#master-form button[type=submit]")] \
        == ["Save", "Save and add another", "Save and continue editing"]


def test_deleting_a_record_others_refer_to_is_a_409_naming_them(testapp, dbsession):
    widget = add_widget(dbsession, "Referenced")
    users = [create_record(dbsession, Specimen, name=f"User {n}", widget=widget) for n in range(7)]
    refused = post_form(testapp, f"/widgets/{widget.uuid}/delete", status=409)
    box = refused.html.find(id="refused")
    text = box.get_text(" ", strip=True)
    assert "Not deleted: widget “Referenced” is still used by other records." in text
    assert "7 specimens: User 0 , User 1 , User 2 , User 3 , User 4 and 2 more" in text
    assert box.find("a", string="User 0")["href"].endswith(f"/specimens/{users[0].uuid}")
    assert "changed since you opened this page" not in refused.text
    assert refused.html.find(id="conflict") is None
    dbsession.expire_all()
    assert dbsession.get(type(widget), widget.uuid) is not None


def test_deleting_a_record_whose_child_rows_others_refer_to_names_them(testapp, dbsession):
    widget = add_widget(dbsession, "Parent", components=[("SP-1", "A spare")])
    create_record(dbsession, Specimen, name="Keeps a spare", spare_part=widget.components[0])
    refused = post_form(testapp, f"/widgets/{widget.uuid}/delete", status=409)
    assert "1 specimen: Keeps a spare" in refused.html.find(id="refused").get_text(" ", strip=True)


def test_one_label_per_foreign_key_on_every_page(testapp, dbsession):
    widget = add_widget(dbsession, "Holder", components=[("SP-1", "Spare one"), ("SP-2", "Spare two")])
    first, second = widget.components
    response = post_form(testapp, "/specimens/new", {"name": "Labelled", "spare_part": first},
                         status=303)
    uuid = response.location.rsplit("/", 1)[1]
    form = testapp.get("/specimens/new")
    label = form.html.find("label", attrs={"for": form.html.find(attrs={"name": "spare_part"})["id"]})
    assert label.get_text(strip=True) == "Spare Part"
    listing = testapp.get("/specimens")
    assert "Spare Part" in [th.get_text(strip=True).rstrip("▲▼ ")
                            for th in listing.html.select("#grid thead th")]
    shown = testapp.get(f"/specimens/{uuid}").html.find("dt", string="Spare Part")
    assert shown.find_next("dd").get_text(strip=True) == "Spare one"
    post_form(testapp, f"/specimens/{uuid}/edit", {"spare_part": second}, status=303)
    history = testapp.get(f"/specimens/{uuid}/history").text
    assert "Changed spare part" in history and "spare_part_uuid" not in history


def test_rules_are_read_from_the_declaration():
    from poser_web.models import rules

    keys = {key.keys: key.name for key in rules.unique_keys(Specimen)}
    assert keys == {("reference",): "uq_poser_test_specimen_reference",
                    ("lot", "serial"): "uq_poser_test_specimen_lot_serial"}
    checks = {str(c.name) for c in Specimen.__table__.constraints if isinstance(c, CheckConstraint)}
    assert {"ck_poser_test_specimen_rating_range", "ck_poser_test_specimen_price_range"} <= checks
    column = Specimen.__table__.c.rating
    assert [rules.check_value(column, v) for v in (1, 5, None)] == [None, None, None]
    assert rules.check_value(column, 6) == "Out of range: enter a number from 1 to 5."
    assert rules.check_values(Specimen, {"rating": 0, "price": Decimal(-1), "name": "x"}) == {
        "rating": "Out of range: enter a number from 1 to 5.",
        "price": "Out of range: enter a number at least 0."}
