"""Filters by column type on a table declared by names (tests/sample), kept in the
URL, in the page's links and in downloads; a malformed one is a 400."""
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import add_widget
from tests.sample.models import Size
from tests.specimens import add_specimen


def names(response):
    return sorted(tr.find("td").get_text(strip=True) for tr in response.html.select("#grid tbody tr"))


@pytest.fixture
def stock(dbsession):
    wa, wb = add_widget(dbsession, "Wa"), add_widget(dbsession, "Wb")
    add_specimen(dbsession, "Anvil", notes="heavy iron", quantity=1, weight=Decimal("12.500"),
                 active=True, received=date(2026, 1, 10), checked_at=datetime(2026, 1, 10, 9, 0),
                 color="red", size=Size.large, widget=wa)
    add_specimen(dbsession, "Bolt", notes="", quantity=40, weight=Decimal("0.010"), active=True,
                 received=date(2026, 2, 1), checked_at=datetime(2026, 2, 1, 23, 59, 59),
                 color="blue", size=Size.small, widget=wb)
    add_specimen(dbsession, "Cog", notes="small IRON gear", quantity=7, weight=Decimal("0.250"),
                 active=False, received=date(2026, 2, 15), color="green", size=Size.medium, widget=wa)
    add_specimen(dbsession, "Dust", active=False)
    return {"wa": wa, "wb": wb}


@pytest.mark.parametrize("params, shown", [
    # text
    ({"name": "o"}, ["Bolt", "Cog"]),
    ({"name.op": "equals", "name": "Cog"}, ["Cog"]),
    ({"name.op": "equals", "name": "cog"}, []),
    ({"notes": "iron"}, ["Anvil", "Cog"]),
    ({"notes.op": "empty"}, ["Bolt", "Dust"]),
    ({"notes": "100%"}, []),
    # integer
    ({"quantity": "7"}, ["Cog"]),
    ({"quantity.op": "between", "quantity": "1", "quantity.to": "7"}, ["Anvil", "Cog"]),
    ({"quantity.op": "min", "quantity": "7"}, ["Bolt", "Cog"]),
    ({"quantity.op": "max", "quantity": "-1"}, []),
    ({"quantity.op": "empty"}, ["Dust"]),
    # numeric
    ({"weight": "12.5"}, ["Anvil"]),
    ({"weight.op": "between", "weight": ".01", "weight.to": "0.25"}, ["Bolt", "Cog"]),
    ({"weight.op": "max", "weight": "0.2"}, ["Bolt"]),
    ({"weight.op": "min", "weight": "0.25"}, ["Anvil", "Cog"]),
    ({"weight.op": "empty"}, ["Dust"]),
    # date
    ({"received": "2026-02-01"}, ["Bolt"]),
    ({"received.op": "between", "received": "2026-02-01", "received.to": "2026-02-15"}, ["Bolt", "Cog"]),
    ({"received.op": "min", "received": "2026-02-02"}, ["Cog"]),
    ({"received.op": "max", "received": "2026-02-01"}, ["Anvil", "Bolt"]),
    ({"received.op": "empty"}, ["Dust"]),
    # date-time: whole days in the display time zone (UTC here)
    ({"checked_at": "2026-02-01"}, ["Bolt"]),
    ({"checked_at.op": "between", "checked_at": "2026-01-01", "checked_at.to": "2026-02-01"}, ["Anvil", "Bolt"]),
    ({"checked_at.op": "max", "checked_at": "2026-01-31"}, ["Anvil"]),
    ({"checked_at.op": "min", "checked_at": "2026-01-11"}, ["Bolt"]),
    ({"checked_at.op": "empty"}, ["Cog", "Dust"]),
    # choices: a declared list and an Enum
    ({"color": ["red", "blue"]}, ["Anvil", "Bolt"]),
    ({"color.op": "empty"}, ["Dust"]),
    ({"size": "medium"}, ["Cog"]),
    ({"size": ["small", "large"]}, ["Anvil", "Bolt"]),
    ({"size.op": "empty"}, ["Dust"]),
    # boolean
    ({"active": "yes"}, ["Anvil", "Bolt"]),
    ({"active": "no"}, ["Cog", "Dust"]),
    ({"active": ""}, ["Anvil", "Bolt", "Cog", "Dust"]),
    # blank values: the filter is off
    ({"name.op": "equals", "name": "", "weight.op": "between"}, ["Anvil", "Bolt", "Cog", "Dust"]),
    # several at once
    ({"active": "yes", "quantity.op": "min", "quantity": "2", "color": ["blue", "green"]}, ["Bolt"]),
    ({"notes": "iron", "size": "large", "q": "anv"}, ["Anvil"]),
])
def test_filter_each_type(testapp, stock, params, shown):
    assert names(testapp.get("/specimens", params)) == shown


def test_record_filter(testapp, stock):
    assert names(testapp.get("/specimens", {"widget": stock["wa"].uuid})) == ["Anvil", "Cog"]
    assert names(testapp.get("/specimens", {"widget.op": "empty"})) == ["Dust"]
    page = testapp.get("/specimens", {"widget": stock["wb"].uuid})
    options = page.html.find("select", attrs={"name": "widget"}).find_all("option")
    assert [o.get_text() for o in options] == ["Any", "Wa", "Wb"]
    assert options[2].has_attr("selected")


def test_record_filter_over_a_large_table_takes_the_key(testapp, stock, dbsession, monkeypatch):
    from poser_web.grid.filters import RecordFilter

    monkeypatch.setattr(RecordFilter, "OPTION_LIMIT", 1)
    page = testapp.get("/specimens", {"widget": stock["wb"].uuid})
    assert page.html.find("select", attrs={"name": "widget"}) is None
    assert page.html.find("input", attrs={"name": "widget"})["value"] == stock["wb"].uuid
    assert names(page) == ["Bolt"]


def test_filters_stay_in_links_forms_and_downloads(testapp, stock):
    params = {"weight.op": "between", "weight": "0.01", "weight.to": "20", "color": ["red", "blue"],
              "active": "yes", "sort": "weight", "dir": "desc"}
    page = testapp.get("/specimens", params)
    assert names(page) == ["Anvil", "Bolt"]
    sort_link = page.html.select("#grid thead a")[0]["href"]
    assert names(testapp.get(sort_link)) == ["Anvil", "Bolt"]
    # The form shows what is asked.
    form = page.html.find("form", role="search")
    assert form.find("select", attrs={"name": "weight.op"}).find("option", selected=True)["value"] == "between"
    assert form.find("input", attrs={"name": "weight.to"})["value"] == "20"
    checked = [i["value"] for i in form.find_all("input", attrs={"name": "color"}) if i.has_attr("checked")]
    assert checked == ["red", "blue"]
    # The rows-per-page form keeps them.
    hidden = {(i["name"], i["value"]) for i in page.html.select("form input[type=hidden]")}
    assert {("weight.op", "between"), ("color", "red"), ("color", "blue"), ("active", "yes")} <= hidden
    # Downloads hold the filtered rows only, in the list's order.
    csv_link = page.html.find("a", string="Download CSV")["href"]
    rows = list(csv.reader(io.StringIO(testapp.get(csv_link).body.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["Anvil", "Bolt"]


@pytest.mark.parametrize("params, message", [
    ({"quantity": "seven"}, "The Quantity filter needs a whole number, not 'seven'."),
    ({"quantity": "99999999999999999999"}, "The Quantity filter needs a whole number"),
    ({"weight": "1,5"}, "The Weight filter needs a number such as 12.5, not '1,5'."),
    ({"weight": "NaN"}, "The Weight filter needs a number"),
    ({"weight": "Infinity"}, "The Weight filter needs a number"),
    ({"weight.op": "between", "weight": "1"}, "The Weight filter “between” needs both ends."),
    ({"weight.op": "between", "weight": "5", "weight.to": "1"}, "the first must not be larger"),
    ({"received": "2026-02-30"}, "The Received filter needs a date written YYYY-MM-DD, not '2026-02-30'."),
    ({"received": "yesterday"}, "needs a date written YYYY-MM-DD"),
    ({"checked_at": "2026-01-01T10:00"}, "The Checked At filter needs a date written YYYY-MM-DD"),
    ({"color": "purple"}, "The Color filter must be among red, green, blue, not 'purple'."),
    ({"size": "Small"}, "The Size filter must be among small, medium, large"),
    ({"active": "maybe"}, "Active filter must be yes, no or empty, not 'maybe'."),
    ({"name.op": "like", "name": "x"}, "The Name filter's operator must be one of contains, equals, not 'like'."),
    ({"name.op": "empty"}, "The Name filter's operator must be one of contains, equals"),  # never empty
    ({"name": "x" * 201}, "The Name filter is limited to 200 characters."),
    ({"name": "a\x00b"}, "The field 'name' contains a NUL character."),
    ({"widget": "x" * 65}, "The Widget filter needs a record's key"),
    ({"color.op": "between"}, "The Color filter's operator must be one of any, empty"),
])
@pytest.mark.parametrize("url", ["/specimens", "/specimens/export.csv", "/specimens/export.xlsx"])
def test_malformed_filters_answer_400_with_a_message(testapp, params, message, url):
    response = testapp.get(url, params, status=400)
    assert message in response.text


def test_a_boolean_filter_on_a_required_column_has_no_empty(testapp, stock):
    response = testapp.get("/specimens", {"active.op": "empty"}, status=400)
    assert "The Active filter's operator must be one of is, not 'empty'." in response.text


FILTER_KEYS = ["name", "notes", "quantity", "weight", "active", "received", "checked_at", "color", "size",
               "widget"]
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=25)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(
    st.sampled_from(FILTER_KEYS).flatmap(lambda key: st.sampled_from([key, f"{key}.op", f"{key}.to"])),
    st.one_of(texts, st.sampled_from(["equals", "between", "min", "max", "empty", "any", "is", "contains",
                                      "1", "-3", "0.5", "2026-01-10", "red", "small", "yes"])),
    max_size=5))
def test_any_filter_parameters_give_a_page_or_a_400(testapp, stock, params):
    response = testapp.get("/specimens", params, expect_errors=True)
    assert response.status_int in (200, 400), response.text[:500]
