"""An unfiltered list of a big table shows the database's estimate of its size.

The statistics are faked: a high rowid on SQLite (its estimate is the rowid
span), pg_class's reltuples on PostgreSQL (rolled back with the test).
"""
import pytest
from sqlalchemy import text

from poser_web.db.estimate import rounded
from tests.helpers import add_widget
from tests.tables.widgets.test_widget_list import range_text


@pytest.fixture
def big_table(dbsession, db_kind, monkeypatch):
    from poser_web.tables.widgets.views import WidgetView

    monkeypatch.setattr(WidgetView, "count_limit", 25)
    for i in range(30):
        add_widget(dbsession, f"W{i:02d}", active=i % 2 == 0)
    if db_kind == "sqlite":
        first = dbsession.scalar(text("SELECT min(rowid) FROM poser_widget"))
        dbsession.execute(text("INSERT INTO poser_widget (rowid, uuid, description, active) "
                               "VALUES (:last, :uuid, 'W99', 0)"),
                          {"last": first + 1_234_566, "uuid": "9" * 32})
    else:
        dbsession.execute(text(
            "UPDATE pg_class SET reltuples = 1234567, relpages = greatest(1, pg_relation_size(oid) / 8192) "
            "WHERE oid = 'poser_widget'::regclass"))


def test_unfiltered_list_shows_the_estimate(testapp, big_table):
    response = testapp.get("/widgets", {"per_page": 20})
    assert range_text(response) == "1–20 of about 1,200,000"
    assert response.html.find("a", rel="next") is not None


def test_search_and_filters_show_the_honest_cap(testapp, big_table):
    assert range_text(testapp.get("/widgets", {"q": "w", "per_page": 20})) == "1–20 of more than 25"
    # Filtered lists are small enough here to count exactly.
    assert range_text(testapp.get("/widgets", {"active": "yes", "per_page": 20})) == "1–15 of 15"


def test_small_tables_are_counted_exactly(testapp, dbsession):
    for i in range(3):
        add_widget(dbsession, f"S{i}")
    assert range_text(testapp.get("/widgets")) == "1–3 of 3"


def test_the_estimate_costs_no_extra_statement(testapp, big_table, engine):
    from tests.tables.widgets.test_widget_list import StatementCounter

    testapp.get("/widgets")
    with StatementCounter(engine) as counter:
        testapp.get("/widgets", {"per_page": 20})
    assert len(counter.statements) <= 3, counter.statements


@pytest.mark.parametrize("estimate, shown", [
    (1_000_000, 1_000_000), (1_234_567, 1_200_000), (987_654, 990_000), (1_049, 1_000), (26, 26),
])
def test_estimates_are_rounded_to_two_figures(estimate, shown):
    assert rounded(estimate) == shown
