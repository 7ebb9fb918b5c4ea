"""Keyset cursors that were damaged or forged answer 400 with a message, never 500
(issue 11 §3), and fit the sort column's type on every list."""
import base64
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import add_widget, grid_descriptions
from tests.sample.models import Size
from tests.specimens import add_specimen


def cursor(raw):
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


DEEP = cursor("[" * 1400)
SURROGATE = cursor('["\\ud800", "y"]')
SURROGATE_KEY = cursor('["x", "\\udfff"]')
OBJECT = cursor('{"a": 1, "b": 2}')


@pytest.mark.parametrize("url", ["/widgets", "/components", "/widgets/export.csv",
                                 "/widgets/export.xlsx", "/specimens", "/specimens/export.csv"])
@pytest.mark.parametrize("raw, message", [
    (DEEP, "This page link is damaged"),
    (SURROGATE, "This page link"),
    (SURROGATE_KEY, "This page link"),
    (OBJECT, "This page link is damaged"),
])
@pytest.mark.parametrize("name", ["after", "before"])
def test_hostile_cursors_answer_400(testapp, url, raw, message, name):
    response = testapp.get(url, {name: raw}, status=400)
    assert message in response.text


@pytest.mark.parametrize("sort, value", [
    ("weight", 1.5),  # numbers travel as text, never floats
    ("weight", "1e5"),
    ("weight", "NaN"),
    ("quantity", "3"),
    ("quantity", True),
    ("quantity", 2**63),
    ("received", "2026-13-01"),
    ("received", "2026-01-01T00:00:00"),
    ("checked_at", "2026-01-01"),
    ("checked_at", "2026-01-01T00:00:00+02:00"),
    ("active", 1),
    ("active", None),  # not nullable
    ("size", "Small"),
    ("name", None),
    ("name", 5),
])
def test_cursors_must_fit_the_sort_column_type(testapp, sort, value):
    raw = cursor(json.dumps([value, "0" * 32]))
    response = testapp.get("/specimens", {"sort": sort, "after": raw}, status=400)
    assert "does not fit the list's sort" in response.text


# (sort, cursor value, a value sorting before it, one sorting after it): the cursor's
# key is all zeros, so a row holding the cursor's own value comes after it too.
ACCEPTED = [
    ("weight", "1.500", Decimal(1), Decimal(2)),
    ("weight", None, Decimal(1), None),  # NULL sorts last
    ("quantity", -4, -5, 0),
    ("received", "2026-01-31", date(2026, 1, 30), date(2026, 2, 1)),
    ("checked_at", "2026-01-01T10:00:00", datetime(2026, 1, 1, 9, 59), datetime(2026, 1, 1, 10, 1)),
    ("checked_at", "2026-01-01T10:00:00.250000", datetime(2026, 1, 1, 10, 0, 0, 100000),
     datetime(2026, 1, 1, 10, 0, 0, 500000)),
    ("size", "medium", Size.large, Size.small),  # stored and ordered by name
    ("color", None, "red", None),
    ("widget", "Wa", "V", "Wb"),
    ("active", True, False, True),
]


@pytest.mark.parametrize("sort, value, before, after", ACCEPTED)
def test_well_formed_cursors_of_each_type_are_accepted(testapp, dbsession, sort, value, before,
                                                       after):
    """A cursor of each type pages on a table with rows: Next shows what sorts after it, and
    Previous (going down) what sorts before it in that order."""
    def row(name, field_value):
        if sort == "widget":
            field_value = add_widget(dbsession, field_value)
        add_specimen(dbsession, name, **{sort: field_value})

    row("After", after)
    row("Before", before)
    raw = cursor(json.dumps([value, "0" * 32]))
    page = testapp.get("/specimens", {"sort": sort, "after": raw}, status=200)
    assert grid_descriptions(page) == ["After"]
    page = testapp.get("/specimens", {"sort": sort, "dir": "desc", "before": raw}, status=200)
    assert grid_descriptions(page) == ["After"]
    page = testapp.get("/specimens", {"sort": sort, "dir": "desc", "after": raw}, status=200)
    assert grid_descriptions(page) == ["Before"]


@pytest.mark.parametrize("url", ["/widgets", "/components", "/specimens", "/widgets/export.csv"])
def test_nul_in_search_text_answers_400(testapp, url):
    response = testapp.get(url, {"q": "a\x00b"}, status=400)
    # Refused before the grid sees it (input_guard.py: NUL anywhere in a request).
    assert "The field 'q' contains a NUL character." in response.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values, key=json_values,
       sort=st.sampled_from(["name", "weight", "quantity", "received", "checked_at", "active", "size",
                             "widget"]),
       direction=st.sampled_from(["asc", "desc"]), name=st.sampled_from(["after", "before"]))
def test_any_json_cursor_is_a_page_or_a_400(testapp, value, key, sort, direction, name):
    raw = cursor(json.dumps([value, key]))
    response = testapp.get("/specimens", {"sort": sort, "dir": direction, name: raw}, expect_errors=True)
    assert response.status_int in (200, 400), response.text[:500]
