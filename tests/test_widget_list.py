"""The widget list page: search, filter, sort, pagination, bad parameters, SQL cost."""
import pytest
from sqlalchemy import event

from .helpers import add_widget, grid_descriptions


def range_text(response):
    return " ".join(response.html.find(id="grid-range").get_text().split())


@pytest.fixture
def three(dbsession):
    add_widget(dbsession, "Bravo", components=[("B-1", "b one")])
    add_widget(dbsession, "alpha", active=False, components=[("A-1", "a one"), ("ZZ9", "a two")])
    add_widget(dbsession, "Charlie", components=[("C-1", "c1"), ("C-2", "c2"), ("C-3", "c3")])


def test_columns_and_default_sort(testapp, three):
    response = testapp.get("/widgets")
    headers = [th.get_text(strip=True) for th in response.html.find("table", id="grid").thead.find_all("th")]
    assert headers[:3] == ["Description▲", "Active", "Components"]
    assert grid_descriptions(response) == ["alpha", "Bravo", "Charlie"] or \
        grid_descriptions(response) == ["Bravo", "Charlie", "alpha"]  # collation differs by database
    rows = response.html.find("table", id="grid").tbody.find_all("tr")
    cells = {r.find_all("td")[0].get_text(strip=True): [td.get_text(strip=True) for td in r.find_all("td")] for r in rows}
    assert cells["alpha"][1:3] == ["No", "2"]
    assert cells["Charlie"][1:3] == ["Yes", "3"]
    assert "1–3 of 3" in range_text(response)


def test_description_links_to_the_widget_with_row_actions(testapp, dbsession):
    widget = add_widget(dbsession, "Linked")
    row = testapp.get("/widgets").html.find("table", id="grid").tbody.tr
    links = {a.get_text(strip=True): a["href"] for a in row.find_all("a")}
    assert links["Linked"].endswith(f"/widgets/{widget.uuid}")
    assert links["View"].endswith(f"/widgets/{widget.uuid}")
    assert links["Edit"].endswith(f"/widgets/{widget.uuid}/edit")
    assert links["Delete"].endswith(f"/widgets/{widget.uuid}/delete")


def test_empty_state(testapp):
    response = testapp.get("/widgets")
    assert "There are no widgets yet." in response.text
    assert response.html.find("table", id="grid") is None


def test_search_by_description_and_component_item_code(testapp, three):
    assert grid_descriptions(testapp.get("/widgets", {"q": "brav"})) == ["Bravo"]
    assert grid_descriptions(testapp.get("/widgets", {"q": "zz9"})) == ["alpha"]
    response = testapp.get("/widgets", {"q": "nothing like it"})
    assert "No widgets match this search." in response.text


def test_search_treats_wildcards_literally(testapp, dbsession):
    add_widget(dbsession, "100% cotton")
    add_widget(dbsession, "1000 cotton")
    assert grid_descriptions(testapp.get("/widgets", {"q": "100%"})) == ["100% cotton"]
    assert grid_descriptions(testapp.get("/widgets", {"q": "_"})) == []


def test_active_filter(testapp, three):
    assert grid_descriptions(testapp.get("/widgets", {"active": "no"})) == ["alpha"]
    assert sorted(grid_descriptions(testapp.get("/widgets", {"active": "yes"}))) == ["Bravo", "Charlie"]
    assert len(grid_descriptions(testapp.get("/widgets", {"active": ""}))) == 3


@pytest.mark.parametrize("sort, ascending", [
    ("components", ["Bravo", "alpha", "Charlie"]),
    ("active", ["alpha"]),  # inactive first; the rest by uuid
])
def test_sort_both_ways(testapp, three, sort, ascending):
    up = grid_descriptions(testapp.get("/widgets", {"sort": sort, "dir": "asc"}))
    down = grid_descriptions(testapp.get("/widgets", {"sort": sort, "dir": "desc"}))
    assert up[:len(ascending)] == ascending
    assert down == list(reversed(up))


def test_sort_ties_are_stable_across_pages(testapp, dbsession):
    for _ in range(30):
        add_widget(dbsession, "Same")
    seen = []
    for page in (1, 2):
        response = testapp.get("/widgets", {"per_page": 20, "page": page})
        seen += [a["href"] for a in response.html.select("#grid tbody tr td:first-child a")]
    assert len(seen) == len(set(seen)) == 30


def test_pagination_and_page_sizes(testapp, dbsession):
    for i in range(45):
        add_widget(dbsession, f"W{i:02d}")
    response = testapp.get("/widgets", {"per_page": 20, "page": 2})
    assert grid_descriptions(response) == [f"W{i:02d}" for i in range(20, 40)]
    assert "21–40 of 45" in range_text(response)
    assert "Page 2 of 3" in response.text
    next_link = response.html.find("a", rel="next")["href"]
    assert "page=3" in next_link and "per_page=20" in next_link
    last = testapp.get(next_link.replace("&amp;", "&"))
    assert grid_descriptions(last) == [f"W{i:02d}" for i in range(40, 45)]
    options = [o["value"] for o in response.html.find("select", id="grid-per-page").find_all("option")]
    assert options == ["20", "50", "100", "200"]
    assert len(grid_descriptions(testapp.get("/widgets"))) == 45  # default 50 a page


def test_page_past_the_end_shows_the_last_page(testapp, dbsession):
    for i in range(3):
        add_widget(dbsession, f"W{i}")
    response = testapp.get("/widgets", {"page": 9})
    assert grid_descriptions(response) == ["W0", "W1", "W2"]


@pytest.mark.parametrize("params, message", [
    ({"sort": "nope"}, "Cannot sort by 'nope'"),
    ({"dir": "sideways"}, "Sort direction must be asc or desc"),
    ({"page": "abc"}, "page must be a whole number"),
    ({"page": "0"}, "page must be 1 or more"),
    ({"page": "99999999999999999999"}, "page must be at most"),
    ({"per_page": "100000"}, "Rows per page must be one of 20, 50, 100, 200"),
    ({"per_page": "x"}, "per_page must be a whole number"),
    ({"active": "maybe"}, "Active filter must be yes, no or empty"),
    ({"q": "x" * 201}, "Search text is limited to 200 characters"),
])
def test_bad_parameters_answer_400_with_a_message(testapp, params, message):
    response = testapp.get("/widgets", params, status=400)
    assert message in response.text


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, *args):
        self.statements.append(statement)


@pytest.mark.parametrize("per_page", [20, 200])
def test_list_page_costs_at_most_three_statements(testapp, dbsession, engine, per_page):
    for i in range(210):
        add_widget(dbsession, f"W{i:03d}", components=[("X", "x")] * (i % 4))
    dbsession.expire_all()
    cases = [({"per_page": per_page}, per_page),
             ({"per_page": per_page, "sort": "components", "q": "W1"}, min(per_page, 100)),
             ({"per_page": per_page, "active": "yes", "page": 2}, min(per_page, 210 - per_page))]
    for params, shown in cases:
        with StatementCounter(engine) as counter:
            response = testapp.get("/widgets", params)
        assert response.status_int == 200
        assert len(response.html.select("#grid tbody tr")) == shown
        # The whole request: who is asking (user and permissions), the count,
        # and the rows with their component counts.
        assert len(counter.statements) <= 3, counter.statements
        identity = [s for s in counter.statements if "poser_user" in s]
        assert len(identity) == 1, counter.statements


def test_count_is_capped_honestly_above_the_limit(testapp, dbsession, monkeypatch):
    from poser_web.views.widgets import WidgetView

    monkeypatch.setattr(WidgetView, "count_limit", 25)
    for i in range(30):
        add_widget(dbsession, f"W{i:02d}")
    response = testapp.get("/widgets", {"per_page": 20})
    assert "1–20 of more than 25" in range_text(response)
    assert response.html.find("a", rel="next") is not None
