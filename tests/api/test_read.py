"""The API's reads, for Widget and the test-only Specimen: the list is the list page's (same
search, filters, sort and cursors), one record carries its child rows and its version as ETag,
errors are JSON, the OpenAPI document is valid."""
import pytest
from openapi_spec_validator import validate

from tests.helpers import add_user, add_widget, create_record, grid_descriptions, log_in
from tests.sample.models import Specimen, SpecimenPart


def descriptions(response):
    return [item["description"] for item in response.json["items"]]


def test_the_list_matches_the_list_page_with_search_filters_and_cursors(testapp, dbsession):
    for n in range(36):
        add_widget(dbsession, f"Sprocket {n:02}", active=n % 3 != 0,
                   components=[(f"C{n}", "part")])
    add_widget(dbsession, "Gear")
    query = {"q": "sprocket", "active": "yes", "sort": "description", "dir": "desc",
             "per_page": "20"}
    page = testapp.get("/widgets", query)
    api = testapp.get("/api/widgets", query)
    assert api.content_type == "application/json"
    assert descriptions(api) == grid_descriptions(page)
    assert api.json["count"] == 24 and api.json["count_is_exact"] is True
    assert api.json["previous"] is None
    following = testapp.get(api.json["next"])  # a keyset cursor, as the page's Next link
    assert descriptions(following) == grid_descriptions(testapp.get(
        page.html.find("a", rel="next")["href"]))
    assert len(descriptions(following)) == 4 and following.json["next"] is None
    assert "after=" in api.json["next"] and following.json["previous"]


def test_one_record_with_its_child_rows_and_version(testapp, dbsession):
    widget = add_widget(dbsession, "Sprocket", components=[("B2", "Second"), ("A1", "First")])
    dbsession.expire(widget)  # read again, as a request would: components by item code
    record = testapp.get(f"/api/widgets/{widget.uuid}")
    assert record.headers["ETag"] == f'"{widget.version}"'
    assert record.json == {
        "uuid": widget.uuid, "version": widget.version, "description": "Sprocket",
        "active": True,
        "components": [{"uuid": c.uuid, "item_code": c.item_code, "description": c.description,
                        "active": True} for c in sorted(widget.components,
                                                        key=lambda c: c.item_code)]}


def test_values_follow_the_column_types(testapp, dbsession):
    from datetime import date, datetime
    from decimal import Decimal

    widget = add_widget(dbsession, "Holder")
    specimen = create_record(dbsession, Specimen, name="Typed", quantity=3,
                             weight=Decimal("2.5"), received=date(2026, 12, 4),
                             checked_at=datetime(2026, 12, 4, 13, 5), color="red", widget=widget)
    specimen.parts = [SpecimenPart(code="P1", count=2)]
    dbsession.flush()
    record = testapp.get(f"/api/specimens/{specimen.uuid}").json
    assert record["quantity"] == 3 and record["weight"] == "2.500"  # exact, with its scale
    assert record["received"] == "2026-12-04"
    assert record["checked_at"] == "2026-12-04T13:05:00+00:00"
    assert record["color"] == "red" and record["widget_uuid"] == widget.uuid
    assert record["active"] is True and record["notes"] is None
    assert [(p["code"], p["count"]) for p in record["parts"]] == [("P1", 2)]
    listed = testapp.get("/api/specimens", {"weight.op": "min", "weight": "2"}).json["items"]
    assert [item["uuid"] for item in listed] == [specimen.uuid]


@pytest.mark.parametrize("url, status, words", [
    ("/api/widgets?sort=nope", 400, "Cannot sort by 'nope'"),
    ("/api/widgets?per_page=7", 400, "Rows per page"),
    ("/api/widgets/" + "f" * 32, 404, "No widget has the key"),
    ("/api/widgets/not-a-key", 404, "No widget has the key"),
    ("/api/nothing-here", 404, "Nothing is at this address"),
])
def test_errors_are_json(testapp, url, status, words):
    response = testapp.get(url, status=status)
    assert response.content_type == "application/json" and words in response.json["error"]


def test_permissions_are_the_pages(anonymous_app, dbsession):
    widget = add_widget(dbsession, "Secret")
    response = anonymous_app.get("/api/widgets", status=401)
    assert response.json["error"] and "Bearer" in response.headers["WWW-Authenticate"]
    add_user(dbsession, "lister", permissions=("widgets.list",))
    log_in(anonymous_app, "lister").follow()
    assert descriptions(anonymous_app.get("/api/widgets")) == ["Secret"]
    refused = anonymous_app.get(f"/api/widgets/{widget.uuid}", status=403)
    assert refused.content_type == "application/json"
    anonymous_app.get("/api/specimens", status=403)


def test_the_openapi_document_is_valid_and_describes_every_table(testapp):
    document = testapp.get("/api/openapi.json").json
    validate(document)  # raises on any violation of OpenAPI 3.1
    assert {"/api/widgets", "/api/widgets/{uuid}", "/api/specimens", "/api/components"} <= set(
        document["paths"])
    widget = document["components"]["schemas"]["Widget"]
    assert widget["properties"]["description"]["maxLength"] == 255
    assert widget["properties"]["components"]["items"]["properties"]["item_code"]["maxLength"] == 20
    specimen = document["components"]["schemas"]["TestSpecimen"]["properties"]
    assert specimen["weight"]["format"] == "decimal" and specimen["color"]["enum"][:3] == [
        "red", "green", "blue"]
    filters = {p["name"] for p in document["paths"]["/api/specimens"]["get"]["parameters"]}
    assert {"q", "sort", "after", "weight", "weight.op", "weight.to", "color"} <= filters
    assert "post" not in document["paths"]["/api/components"]  # read-only table


def test_the_api_page_lists_the_tables(testapp):
    page = testapp.get("/api")
    rows = [tr.find("th").get_text() for tr in page.html.select("#api-tables tbody tr")]
    assert {"Widgets", "Components", "Specimens"} <= set(rows)
    assert page.html.find("a", string="OpenAPI document")["href"].endswith("/api/openapi.json")


def test_a_list_call_costs_no_more_statements_than_the_list_page(testapp, dbsession, engine):
    from tests.tables.widgets.test_widget_list import StatementCounter

    for n in range(60):
        add_widget(dbsession, f"W{n:02}", components=[("X", "x")] * (n % 3))
    dbsession.expire_all()
    for query in ({}, {"q": "W1", "sort": "components"}, {"active": "yes", "page": 2}):
        with StatementCounter(engine) as page:
            testapp.get("/widgets", query)
        with StatementCounter(engine) as api:
            testapp.get("/api/widgets", query)
        assert len(api.statements) <= len(page.statements) <= 3, api.statements
