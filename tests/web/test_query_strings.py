"""List links' query strings (web/site_urls.query_string) are Pyramid's, word for word."""
from decimal import Decimal

import pytest
from pyramid.encode import urlencode

from poser_web.web.site_urls import query_string

QUERIES = [
    {"q": "sprocket", "sort": "description", "dir": "asc", "page": 2},
    {"q": "gear & cog 100%", "color": ["red", "blue"], "per_page": 100},
    {"q": "Zürich – café", "after": "eyJrIjpbIkEiLCIxIl19", "price.op": "between"},
    {"price": Decimal("1.50"), "empty": None, "list": ("a b", "c/d")},
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_same_as_pyramid_s_twice(query):
    assert query_string(query) == urlencode(query, doseq=True)
    assert query_string(query) == urlencode(query, doseq=True)  # now from the kept words


def test_an_unhashable_value_is_quoted_all_the_same():
    query = {"tags": [["a"], ["b c"]]}
    assert query_string(query) == urlencode(query, doseq=True)
