"""Property-based: no route answers 5xx, whatever the path, parameters or form body.

The routes come from the app's route mapper (the Specimen test table's
included), so a route added later is driven too. Each example sends one
request, logged in as an administrator or not, with arbitrary path values,
query parameters (known names and any others) and, for POSTs, form fields
with or without a valid CSRF token.
"""
import re
from urllib.parse import urlencode

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyramid.interfaces import IRoutesMapper

from tests.helpers import add_user, add_widget, log_in

SETTINGS = settings(max_examples=90, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Text a browser could send (lone surrogates cannot be encoded), NULs and all.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
raw_bytes = st.binary(max_size=12).map(lambda b: "".join(f"%{c:02X}" for c in b))
value = st.one_of(any_text, st.sampled_from(["", "1", "0", "-1", "²", "99999999999999999999",
                                             "yes", "no", "asc", "desc", "csv", "xlsx",
                                             "/widgets", "//evil.example", "\x00", "a" * 300]),
                  st.integers().map(str))
# Parameter and field names the pages read, and any others.
KNOWN_NAMES = ["q", "page", "per_page", "sort", "dir", "active", "after", "before", "came_from",
               "version", "description", "item_code", "uuid", "username", "password",
               "current_password", "new_password", "confirm_password", "logout_others",
               "__start__", "__end__", "save", "_charset_", "__formid__"]
name = st.one_of(st.sampled_from(KNOWN_NAMES), any_text)
fields = st.lists(st.tuples(name, value), max_size=6)


@pytest.fixture
def routes(app):
    mapper = app.registry.getUtility(IRoutesMapper)
    return sorted(mapper.get_routes(), key=lambda r: r.name)


@pytest.fixture
def world(anonymous_app, dbsession):
    """An administrator's client and an anonymous one, and a widget to aim at."""
    add_user(dbsession, "admin", admin=True)
    widget = add_widget(dbsession, "Target", components=[("A", "a")])
    anonymous = webtest.TestApp(anonymous_app.app, extra_environ=dict(
        anonymous_app.extra_environ, REMOTE_ADDR="192.0.2.77"))
    log_in(anonymous_app, "admin").follow()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      anonymous_app.get("/password").text).group(1)
    assert send(anonymous_app, "GET", "/widgets", None).status_int == 200  # logged in
    assert send(anonymous, "GET", "/widgets", None).status_int == 303  # not logged in
    return {"admin": anonymous_app, "anonymous": anonymous, "token": token, "widget": widget}


def fill(pattern, values, widget):
    """The route's pattern with each placeholder replaced (percent-encoded as a browser would)."""
    def one(match):
        text = values.pop(0) if values else ""
        if text == "@widget":
            return widget.uuid
        if text.startswith("%"):  # raw bytes, maybe not UTF-8
            return text
        return "".join(c if c.isalnum() and c.isascii() else
                       "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in text)
    path = re.sub(r"\{[^}]+\}|\*\w+", one, pattern)
    return path if path.startswith("/") else "/" + path


@given(data=st.data())
@SETTINGS
@pytest.mark.parametrize("who", ["admin", "anonymous"])
def test_no_route_answers_5xx(world, routes, who, data):
    route = data.draw(st.sampled_from(routes), label="route")
    holes = len(re.findall(r"\{[^}]+\}|\*\w+", route.pattern))
    values = data.draw(st.lists(st.one_of(st.just("@widget"), any_text, raw_bytes),
                                min_size=holes, max_size=holes), label="path values")
    path = fill(route.pattern, values, world["widget"])
    query = data.draw(st.one_of(st.just(""), fields.map(lambda f: urlencode(
        [(k.encode("utf-8"), v.encode("utf-8")) for k, v in f])), raw_bytes.map(lambda b: "q=" + b)),
        label="query")
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    body = None
    if method == "POST":
        body = data.draw(fields, label="form")
        if data.draw(st.booleans(), label="valid token"):
            body = [("csrf_token", world["token"])] + body
        if route.name == "logout":
            body = [(k, v) for k, v in body if k != "csrf_token"]  # stay logged in
    url = path + ("?" + query if query else "")
    response = send(world[who], method, url, body)
    assert response.status_int < 500, (method, url, body, response.text[-2000:])


def send(client, method, url, body):
    """The request as a browser sends it, straight to the app (webtest's cookie jar
    refuses an address that is not UTF-8)."""
    request = webtest.TestRequest.blank(url, dict(client.extra_environ), method=method)
    if "poser_session" in client.cookies:
        request.headers["Cookie"] = "poser_session=" + client.cookies["poser_session"]
    if body is not None:
        request.content_type = "application/x-www-form-urlencoded"
        request.body = urlencode([(k.encode("utf-8"), v.encode("utf-8")) for k, v in body]).encode()
    return request.get_response(client.app)
