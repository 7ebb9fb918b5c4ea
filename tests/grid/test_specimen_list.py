"""A table declared by column names only (tests/sample): every type on the list page.

Cells formatted and aligned by type, sorting both ways with NULLs last going up
(first going down) on both databases, Next / Previous through the NULLs,
search, and the fallback label.
"""
from datetime import date, datetime
from decimal import Decimal

import pytest
import webtest

from poser_web import main
from poser_web.display.labels import label_of
from tests.helpers import add_user, add_widget, log_in
from tests.sample.models import Size, Specimen, SpecimenPart
from tests.specimens import add_specimen, fifty


def grid_rows(response):
    return [[td.get_text(strip=True) for td in tr.find_all("td")][:-1]
            for tr in response.html.select("#grid tbody tr")]


def names(response):
    return [row[0] for row in grid_rows(response)]


def headers(response):
    return [th.get_text(strip=True).rstrip("▲▼ ") for th in response.html.select("#grid thead th")][:-1]


def follow(testapp, response, rel):
    link = response.html.find("a", rel=rel)
    if link is None or "disabled" in link.parent.get("class", []):
        return None
    return testapp.get(link["href"])


@pytest.fixture
def widgets(dbsession):
    return [add_widget(dbsession, "Wa"), add_widget(dbsession, "Wb")]


@pytest.fixture
def many(dbsession, widgets):
    return {s.name: s for s in fifty(dbsession, widgets)}


def test_cells_are_formatted_and_aligned_by_type(testapp, dbsession, widgets):
    full = add_specimen(dbsession, "Full", notes="n" * 120, quantity=-7, weight=Decimal("2.5"),
                        active=False, received=date(2026, 2, 3),
                        checked_at=datetime(2026, 7, 1, 22, 15, 9), color="green", size=Size.large,
                        widget=widgets[1])
    add_specimen(dbsession, "Empty")
    response = testapp.get("/specimens")
    assert headers(response) == ["Name", "Notes", "Quantity", "Weight", "Active", "Received",
                                 "Checked At", "Color", "Size", "Widget", "Spare Part"]
    rows = {r[0]: r for r in grid_rows(response)}
    assert rows["Full"][1] == "n" * 79 + "…"
    assert rows["Full"][2:] == ["-7", "2.500", "No", "2026-02-03", "2026-07-01 22:15 UTC",
                                "green", "large", "Wb", ""]
    assert rows["Empty"][1:] == ["", "", "", "Yes", "", "", "", "", "", ""]
    full_row = response.html.select("#grid tbody tr")[[r[0] for r in grid_rows(response)].index("Full")]
    cells = full_row.find_all("td")
    assert cells[1]["title"] == "n" * 120  # the whole text in its tooltip
    assert cells[6]["title"] == "2026-07-01 22:15:09 UTC"
    assert "text-end" in cells[2]["class"] and "text-end" in cells[3]["class"]
    assert cells[0].a["href"].endswith(f"/specimens/{full.uuid}")
    assert cells[9].a["href"].endswith(f"/widgets/{widgets[1].uuid}")  # a related record links to its page


def test_view_page_formats_fields_by_type(testapp, dbsession, widgets):
    specimen = add_specimen(dbsession, "Viewed", weight=Decimal("0.125"), active=True,
                            checked_at=datetime(2026, 1, 5, 8, 0), size=Size.small, widget=widgets[0])
    page = testapp.get(f"/specimens/{specimen.uuid}")
    fields = dict(zip([dt.get_text(strip=True) for dt in page.html.select("dl dt")],
                      [dd.get_text(strip=True) for dd in page.html.select("dl dd")]))
    assert fields["Weight"] == "0.125" and fields["Active"] == "Yes"
    assert fields["Checked At"] == "2026-01-05 08:00 UTC" and fields["Size"] == "small"
    assert fields["Widget"] == "Wa" and fields["Quantity"] == ""
    assert page.html.find("a", string="Wa")["href"].endswith(f"/widgets/{widgets[0].uuid}")


def test_display_time_zone_setting(app_settings, tm, dbsession):
    settings = dict(app_settings, **{"poser.timezone": "Europe/Berlin"})
    berlin = main({}, **settings)
    try:
        client = webtest.TestApp(berlin, extra_environ={
            "HTTP_HOST": "example.com", "REMOTE_ADDR": "192.0.2.11", "tm.active": True,
            "tm.manager": tm, "app.dbsession": dbsession})
        add_user(dbsession, "tz-admin", admin=True)
        log_in(client, "tz-admin")
        add_specimen(dbsession, "Late", checked_at=datetime(2026, 3, 1, 23, 30))  # 00:30 on the 2nd in Berlin
        add_specimen(dbsession, "Early", checked_at=datetime(2026, 3, 1, 22, 30))
        response = client.get("/specimens", {"sort": "checked_at"})
        cell = response.html.select("#grid tbody tr")[1].find_all("td")[6]
        assert cell.get_text(strip=True) == "2026-03-02 00:30 CET"
        assert cell["title"] == "2026-03-01 23:30:00 UTC"
        assert names(client.get("/specimens", {"checked_at": "2026-03-02"})) == ["Late"]
        assert names(client.get("/specimens", {"checked_at": "2026-03-01"})) == ["Early"]
        body = client.get("/specimens/export.csv", {"sort": "checked_at"}).body.decode("utf-8-sig")
        assert "Checked At (Europe/Berlin)" in body and "2026-03-02 00:30:00" in body
    finally:
        berlin.registry["db_engine"].dispose()


def test_unknown_time_zone_is_refused_at_start(app_settings):
    with pytest.raises(ValueError, match="poser.timezone = 'Mars/Olympus' is not a known time zone"):
        main({}, **dict(app_settings, **{"poser.timezone": "Mars/Olympus"}))


def sort_value(specimen, column):
    value = getattr(specimen, column)
    if isinstance(value, Size):
        return value.name  # stored, and so ordered, by name
    if column == "widget" and value is not None:
        return value.description
    return value


def expected(specimens, column, direction):
    """NULL counts as the largest value: last going up, first going down."""
    present = sorted(sort_value(s, column) for s in specimens if sort_value(s, column) is not None)
    nulls = [None] * sum(1 for s in specimens if sort_value(s, column) is None)
    order = present + nulls
    return order if direction == "asc" else list(reversed(order))


SORTS = ["name", "notes", "quantity", "weight", "active", "received", "checked_at", "color", "size",
         "widget"]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sort_both_ways_and_walk_past_nulls(testapp, many, sort, direction):
    params = {"sort": sort, "dir": direction, "per_page": 20}
    by_number = [names(testapp.get("/specimens", dict(params, page=n))) for n in (1, 2, 3)]
    shown = [row for page in by_number for row in page]
    assert len(shown) == len(set(shown)) == 50
    assert [sort_value(many[n], sort) for n in shown] == expected(many.values(), sort, direction)

    response, forward = testapp.get("/specimens", params), []
    while response is not None:
        forward.append(names(response))
        response, last = follow(testapp, response, "next"), response
    assert forward == by_number
    backward = []
    response = last
    while response is not None:
        backward.append(names(response))
        response = follow(testapp, response, "prev")
    assert backward == list(reversed(by_number))


def test_search_by_name_notes_related_label_and_child_rows(testapp, dbsession, widgets):
    add_specimen(dbsession, "Alpha", notes="found in the attic")
    add_specimen(dbsession, "Beta", widget=widgets[1])
    add_specimen(dbsession, "Gamma", parts=("GX-1", "GX-2"))
    assert names(testapp.get("/specimens", {"q": "attic"})) == ["Alpha"]
    assert names(testapp.get("/specimens", {"q": "wb"})) == ["Beta"]
    assert names(testapp.get("/specimens", {"q": "gx-2"})) == ["Gamma"]
    assert names(testapp.get("/specimens", {"q": "alp"})) == ["Alpha"]


def test_label_falls_back_to_a_name_like_column_then_the_title_and_key():
    assert label_of(Specimen(name="Called this")) == "Called this"
    assert label_of(SpecimenPart(code="P-7")) == "P-7"
    assert label_of(SpecimenPart(uuid="1a2b3c4d5e6f", code="")) == "Specimen Part 1a2b3c4d"
    assert label_of(None) == ""


def test_list_page_costs_three_statements_with_a_related_column(testapp, dbsession, engine, widgets):
    from tests.tables.widgets.test_widget_list import StatementCounter

    for i in range(30):
        add_specimen(dbsession, f"S{i}", widget=widgets[i % 2] if i % 3 else None)
    dbsession.expire_all()
    with StatementCounter(engine) as counter:
        response = testapp.get("/specimens", {"per_page": 20, "sort": "widget", "active": "yes"})
    assert len(response.html.select("#grid tbody tr")) == 20
    # Who is asking, the count, the rows with their widgets, the widget filter's choices.
    assert len(counter.statements) <= 4, counter.statements
