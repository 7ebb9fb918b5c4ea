"""The read-only components list: every component with its widget."""
from tests.helpers import add_widget


def rows(response):
    return [[td.get_text(strip=True) for td in tr.find_all("td")][:4]
            for tr in response.html.select("#grid tbody tr")]


def test_lists_components_with_their_widget(testapp, dbsession):
    widget = add_widget(dbsession, "Parent", components=[("B2", "bolt"), ("A1", "axle", False)])
    response = testapp.get("/components")
    assert rows(response) == [["A1", "axle", "Parent", "No"], ["B2", "bolt", "Parent", "Yes"]]
    widget_link = response.html.select("#grid tbody tr td")[2].a["href"]
    assert widget_link.endswith(f"/widgets/{widget.uuid}")


def test_search_filter_and_sort(testapp, dbsession):
    add_widget(dbsession, "W", components=[("B2", "bolt"), ("A1", "axle", False), ("C3", "cog")])
    assert [r[0] for r in rows(testapp.get("/components", {"q": "bol"}))] == ["B2"]
    assert [r[0] for r in rows(testapp.get("/components", {"q": "c3"}))] == ["C3"]
    assert [r[0] for r in rows(testapp.get("/components", {"active": "no"}))] == ["A1"]
    assert [r[0] for r in rows(testapp.get("/components", {"sort": "item_code", "dir": "desc"}))] == [
        "C3", "B2", "A1"]
    assert [r[0] for r in rows(testapp.get("/components", {"per_page": 20}))] == ["A1", "B2", "C3"]


def test_is_read_only(testapp, dbsession):
    widget = add_widget(dbsession, "W", components=[("A1", "axle")])
    component = widget.components[0]
    response = testapp.get("/components")
    assert "New Component" not in response.text
    assert "Edit" not in [a.get_text(strip=True) for a in response.html.select("#grid a")]
    testapp.get("/components/new", status=404)
    testapp.get(f"/components/{component.uuid}/edit", status=404)
    page = testapp.get(f"/components/{component.uuid}")
    assert "axle" in page.text and "Parent" not in page.text and "W" in page.text


def test_bad_parameters_answer_400(testapp):
    assert "Cannot sort by" in testapp.get("/components", {"sort": "widget_uuid"}, status=400).text
    testapp.get("/components", {"per_page": "7"}, status=400)


def test_empty_state(testapp):
    assert "There are no components yet." in testapp.get("/components").text
