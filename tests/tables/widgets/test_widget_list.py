"""The widget list page: search, filter, sort, pagination, bad parameters, SQL cost."""
import pytest
from sqlalchemy import event

from poser_web.tables.widgets.models import Widget
from tests.helpers import add_widget, grid_descriptions


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
    ({"per_page": "0"}, "per_page must be 1 or more"),  # page=0 is page 1 (issue 18)
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
    first_page = testapp.get("/widgets", {"per_page": per_page})
    next_link = first_page.html.find("a", rel="next")["href"]  # a keyset page costs the same
    with StatementCounter(engine) as counter:
        assert len(row_hrefs(testapp.get(next_link))) == min(per_page, 210 - per_page)
    assert len(counter.statements) <= 3, counter.statements


def test_count_is_capped_honestly_above_the_limit(testapp, dbsession, monkeypatch):
    from poser_web.tables.widgets.views import WidgetView

    monkeypatch.setattr(WidgetView, "count_limit", 25)
    for i in range(30):
        add_widget(dbsession, f"W{i:02d}")
    # A search: an unfiltered list shows the table's estimate instead (tests/db/test_estimate.py).
    response = testapp.get("/widgets", {"q": "W", "per_page": 20})
    assert "1–20 of more than 25" in range_text(response)
    assert response.html.find("a", rel="next") is not None


def row_hrefs(response):
    return [a["href"] for a in response.html.select("#grid tbody tr td:first-child a")]


def follow(testapp, response, rel):
    link = response.html.find("a", rel=rel)
    if link is None or "disabled" in link.parent.get("class", []):
        return None
    return testapp.get(link["href"])


@pytest.fixture
def ties(dbsession):
    """57 widgets with many equal descriptions, counts and flags: the tie-breaker matters."""
    for i in range(57):
        add_widget(dbsession, f"W{i % 4}", active=i % 3 != 0, components=[("P", "p")] * (i % 5))


@pytest.mark.parametrize("sort", ["description", "active", "components"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_next_and_previous_links_walk_the_same_pages_as_page_numbers(testapp, ties, sort, direction):
    params = {"sort": sort, "dir": direction, "per_page": 20}
    by_number = [row_hrefs(testapp.get("/widgets", dict(params, page=n))) for n in (1, 2, 3)]
    assert sum(map(len, by_number)) == 57 and len({row for page in by_number for row in page}) == 57

    response, forward = testapp.get("/widgets", params), []
    while response is not None:
        forward.append(row_hrefs(response))
        response, last = follow(testapp, response, "next"), response
    assert forward == by_number
    assert "Page 3 of 3" in last.text and "41–57 of 57" in range_text(last)

    backward = []
    response = last
    while response is not None:
        backward.append(row_hrefs(response))
        response = follow(testapp, response, "prev")
    assert backward == list(reversed(by_number))


def test_next_links_carry_a_cursor_and_other_links_do_not(testapp, ties):
    page2 = follow(testapp, testapp.get("/widgets", {"per_page": 20}), "next")
    assert "after=" in page2.request.url and "page=2" in page2.request.url
    page3 = follow(testapp, page2, "next")
    assert "before=" in page3.html.find("a", rel="prev")["href"]
    assert "before=" not in page2.html.find("a", rel="prev")["href"]  # back to page 1: plain
    sort_links = [a["href"] for a in page3.html.select("#grid thead a")]
    assert sort_links and not any("after=" in h or "before=" in h for h in sort_links)
    assert "after" not in page3.html.find("input", attrs={"name": "sort"}).find_parent("form").decode()


def test_a_cursor_page_whose_rows_were_deleted_falls_back_to_its_number(testapp, dbsession, ties):
    page1 = testapp.get("/widgets", {"per_page": 20})
    next_link = page1.html.find("a", rel="next")["href"]
    # Every row now sorts before the cursor: nothing follows it any more.
    dbsession.execute(Widget.__table__.update().values(description="AAA"))
    response = testapp.get(next_link)
    assert row_hrefs(response) == row_hrefs(testapp.get("/widgets", {"per_page": 20, "page": 2}))
    assert len(row_hrefs(response)) == 20 and "21–40" in range_text(response)


@pytest.mark.parametrize("params, message", [
    ({"after": "not-base64!"}, "This page link is damaged"),
    ({"after": "bm90IGpzb24"}, "This page link is damaged"),  # "not json"
    ({"after": "WzEsICJrZXkiXQ", "sort": "description"}, "does not fit the list's sort"),  # [1, "key"]
    ({"after": "WyJ4IiwgImtleSJd", "sort": "components"}, "does not fit the list's sort"),  # ["x", "key"]
    ({"after": "WyJ4XHUwMDAwIiwgImtleSJd"}, "does not fit the list's sort"),  # a NUL in the value
    ({"after": "WyJ4IiwgImtleSJd", "before": "WyJ4IiwgImtleSJd"}, "both after and before"),
])
def test_damaged_cursors_answer_400(testapp, params, message):
    response = testapp.get("/widgets", params, status=400)
    assert message in response.text


def test_next_continues_after_the_last_row_seen_even_when_rows_are_added_before_it(
        testapp, dbsession, ties):
    page1 = testapp.get("/widgets", {"per_page": 20})
    for i in range(5):
        add_widget(dbsession, f"A{i}")  # sorts before everything on page 1
    page2 = follow(testapp, page1, "next")
    shifted = row_hrefs(testapp.get("/widgets", {"per_page": 20, "page": 2}))
    assert not set(row_hrefs(page2)) & set(row_hrefs(page1))  # no row shown twice
    assert row_hrefs(page2) == shifted[5:] + row_hrefs(page2)[15:]
