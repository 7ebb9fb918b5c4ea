"""Property-based: no request to /api/… answers 5xx — any table, key, method, query, JSON body
(or not JSON), If-Match, Authorization — and values breaking the declared rules are 422s."""
import json
from urllib.parse import quote, urlencode

import webtest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from poser_web.models import LoginFailure
from tests.api.test_tokens import make_token
from tests.helpers import add_user, add_widget

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**62),
                    st.floats(allow_nan=True, allow_infinity=True), text,
                    st.sampled_from(["", "1", "-1", "2.5555", "9" * 40, "2026-02-30",
                                     "2026-12-04T13:05:00+01:00", "red", "small", "f" * 32]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)), max_leaves=8)
FIELDS = ["description", "active", "components", "name", "notes", "quantity", "weight",
          "received", "checked_at", "color", "size", "widget_uuid", "reference", "lot", "serial",
          "rating", "price", "grade", "parts", "uuid", "version"]
bodies = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(FIELDS), text), json_values, max_size=6).map(
        lambda b: json.dumps(b).encode()),
    st.binary(max_size=30),
    json_values.map(lambda v: json.dumps(v).encode()))
paths = st.one_of(
    st.sampled_from(["/api/widgets", "/api/specimens", "/api/components", "/api/openapi.json",
                     "/api", "/api/nothing"]),
    st.tuples(st.sampled_from(["/api/widgets/", "/api/specimens/", "/api/components/"]),
              st.one_of(st.sampled_from(["KEY", "f" * 32, "%ff", "x", "9" * 40]),
                        text.map(lambda t: quote(t, safe="")))).map(lambda p: p[0] + p[1]))
queries = st.dictionaries(st.sampled_from(["q", "sort", "dir", "page", "per_page", "after",
                                           "before", "active", "weight", "weight.op", "color"]),
                          st.one_of(text, st.sampled_from(["", "0", "-1", str(2**64)])),
                          max_size=4)
headers = st.fixed_dictionaries({}, optional={
    "If-Match": st.one_of(st.sampled_from(['"1"', '"0"', "*", 'W/"1"', "", "garbage"]), text),
    "Authorization": st.sampled_from(["Bearer nope", "Bearer", "Basic abc", "Bearer TOKEN",
                                      "Bearer \u00e9"]),
    "Content-Type": st.sampled_from(["application/json", "text/plain",
                                     "application/json; charset=utf-16", "x/y"])})


@given(method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]), path=paths,
       query=queries, body=bodies, extra=headers)
@SETTINGS
def test_no_api_request_answers_5xx(testapp, dbsession, method, path, query, body, extra):
    dbsession.execute(delete(LoginFailure))  # each example starts unthrottled
    widget = add_widget(dbsession, "Target", components=[("A1", "Arm")])
    user = add_user(dbsession, f"robot{dbsession.info.setdefault('n', 0)}", admin=True)
    dbsession.info["n"] += 1
    token = make_token(testapp, user)
    client = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)
    path = path.replace("KEY", widget.uuid)
    headers = {k: v.replace("TOKEN", token) for k, v in extra.items()}
    headers.setdefault("Authorization", f"Bearer {token}")
    if query:
        path += "?" + urlencode(query)
    response = client.request(path, method=method, body=body if method != "GET" else None,
                              headers=headers, expect_errors=True)
    event(f"{method} {response.status_int}")  # --hypothesis-show-statistics: what was reached
    assert response.status_int < 500, (method, path, response.status, response.text[:500])
    if path.startswith("/api") and response.status_int >= 400:
        assert response.content_type == "application/json", response.text[:300]
