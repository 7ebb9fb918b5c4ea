"""The API's writes through the table's form: create, PATCH of named fields (children by
their keys), delete; the form's messages as 422; If-Match (428 / 412); history says api."""
import json

import pytest
from sqlalchemy import select

from poser_web.models import Change
from poser_web.tables.widgets.models import Widget
from tests.api.test_tokens import make_token
from tests.helpers import add_user, add_widget, create_record
from tests.sample.models import Specimen


@pytest.fixture
def api(testapp, dbsession):
    """A client sending an administrator's API token (no session, no CSRF token)."""
    import webtest

    root = add_user(dbsession, "robot", admin=True)
    token = make_token(testapp, root, "tests")
    client = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)
    client.authorization = ("Bearer", token)
    return client


def send(api, method, url, body=None, status=200, version=None):
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return getattr(api, f"{method}_json")(url, body, headers=headers, status=status) \
        if body is not None else getattr(api, method)(url, headers=headers, status=status)


def test_create_with_child_rows(api, dbsession):
    created = send(api, "post", "/api/widgets", {
        "description": "  Sprocket  ", "active": True,
        "components": [{"item_code": "A1", "description": "Arm", "active": True}]}, status=201)
    body = created.json
    assert created.headers["Location"].endswith(f"/api/widgets/{body['uuid']}")
    assert created.headers["ETag"] == '"1"'
    assert body["description"] == "Sprocket"  # trimmed, as the form does
    assert [c["item_code"] for c in body["components"]] == ["A1"]
    widget = dbsession.get(Widget, body["uuid"])
    change = dbsession.scalars(select(Change).where(Change.entity_uuid == widget.uuid)).one()
    assert (change.source, change.username, change.action) == ("api", "robot", "create")


def test_patch_changes_only_the_named_fields_and_edits_children_by_key(api, dbsession):
    widget = add_widget(dbsession, "Old", components=[("A1", "Arm"), ("B2", "Bolt")])
    arm = next(c for c in widget.components if c.item_code == "A1")
    body = send(api, "patch", f"/api/widgets/{widget.uuid}", {"active": False},
                version=widget.version).json
    assert (body["description"], body["active"], len(body["components"])) == ("Old", False, 2)
    assert body["version"] == 2
    body = send(api, "patch", f"/api/widgets/{widget.uuid}", {"components": [
        {"uuid": arm.uuid, "item_code": "A1", "description": "Arm, longer", "active": True},
        {"item_code": "C3", "description": "Cog", "active": True}]}, version=2).json
    assert sorted((c["item_code"], c["description"]) for c in body["components"]) == [
        ("A1", "Arm, longer"), ("C3", "Cog")]
    assert next(c for c in body["components"] if c["item_code"] == "A1")["uuid"] == arm.uuid
    summaries = dbsession.scalars(select(Change.summary).where(
        Change.entity_uuid == widget.uuid, Change.source == "api")).all()
    assert len(summaries) == 2


def test_the_forms_messages_and_rules_as_422(api, dbsession):
    refused = send(api, "post", "/api/widgets", {"description": "", "components": [
        {"item_code": "", "description": "x" * 300}]}, status=422).json
    assert refused["errors"]["description"] == ["Description is required."]
    assert "components.0.item_code" in refused["errors"]
    create_record(dbsession, Specimen, name="Holder", reference="R-1")
    refused = send(api, "post", "/api/specimens", {"name": "Copy", "active": True,
                                                   "reference": "R-1"}, status=422).json
    assert "has this reference already" in " ".join(refused["errors"]["reference"])
    refused = send(api, "post", "/api/specimens", {"name": "Copy", "rating": 6}, status=422).json
    assert refused["errors"] == {"rating": ["Out of range: enter a number from 1 to 5."]}
    refused = send(api, "post", "/api/specimens", {"name": "X", "colour": "red"}, status=422).json
    assert refused["errors"] == {"colour": ["Not a field of this table (or not editable)."]}
    assert dbsession.scalars(select(Specimen.name)).all() == ["Holder"]


def test_values_in_json_types(api, dbsession):
    widget = add_widget(dbsession, "Holder")
    body = send(api, "post", "/api/specimens", {
        "name": "Typed", "active": True, "quantity": 3, "weight": "2.5",
        "received": "2026-12-04", "checked_at": "2026-12-04T14:05:00+01:00",
        "color": "red", "size": "small", "widget_uuid": widget.uuid}, status=201).json
    assert (body["weight"], body["checked_at"], body["widget_uuid"]) == (
        "2.500", "2026-12-04T13:05:00+00:00", widget.uuid)
    refused = send(api, "post", "/api/specimens", {"name": "Bad", "weight": "2.5555",
                                                   "widget_uuid": "f" * 32}, status=422).json
    assert set(refused["errors"]) == {"weight", "widget_uuid"}


def test_if_match_guards_every_change(api, dbsession):
    widget = add_widget(dbsession, "Guarded")
    url = f"/api/widgets/{widget.uuid}"
    missing = send(api, "patch", url, {"active": False}, status=428).json
    assert 'now "1"' in missing["error"]
    stale = send(api, "patch", url, {"active": False}, status=412, version=0).json
    assert "version 1" in stale["error"]
    send(api, "delete", url, status=428)
    send(api, "delete", url, status=412, version=7)
    send(api, "delete", url, status=204, version=1)
    assert dbsession.get(Widget, widget.uuid) is None
    send(api, "delete", url, status=404, version=1)


def test_a_delete_others_refer_to_is_a_409_naming_them(api, dbsession):
    widget = add_widget(dbsession, "Referred")
    create_record(dbsession, Specimen, name="Referrer", widget=widget)
    refused = send(api, "delete", f"/api/widgets/{widget.uuid}", status=409, version=1).json
    assert "Referrer" in refused["error"] and "Nothing was deleted" in refused["error"]


def test_permissions_and_the_session_csrf(testapp, dbsession):
    import webtest

    from tests.helpers import log_in

    widget = add_widget(dbsession, "Kept")
    add_user(dbsession, "reader", permissions=("widgets.list", "widgets.view"))
    reader = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)
    log_in(reader, "reader").follow()
    reader.patch_json(f"/api/widgets/{widget.uuid}", {"active": False},
                             headers={"If-Match": '"1"'}, status=403)
    # A browser session writes with its CSRF token in a header, never without.
    no_token = testapp.patch_json(f"/api/widgets/{widget.uuid}", {"active": False},
                                  headers={"If-Match": '"1"'}, status=400)
    assert "CSRF" in no_token.json["error"]
    csrf = testapp.get("/widgets").html.find("input", attrs={"name": "csrf_token"})["value"]
    testapp.patch_json(f"/api/widgets/{widget.uuid}", {"active": False},
                       headers={"If-Match": '"1"', "X-CSRF-Token": csrf})
    assert dbsession.get(Widget, widget.uuid).active is False


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"description": {"a": 1}}'])
def test_bad_bodies_are_4xx(api, body):
    response = api.post("/api/widgets", body, content_type="application/json",
                        status=(400, 422))
    assert response.content_type == "application/json"
    json.loads(response.text)
