"""Property-based: no route answers 5xx, whatever the path, parameters or body.

Run against three applications: the tests' own (with the Specimen table) and the one
`development.ini` and `production.ini` each build, with their settings, tweens and
[loggers] (tests/web/ini_apps.py) — the request log at INFO among them, which is how
`/%ff` once became a 500 that the tests' quiet app never showed. The routes come from each
app's route mapper, so a route added later is driven too. Each example sends one request,
logged in as an administrator or not, with arbitrary path values (raw bytes such as `%ff`
and overlong UTF-8, numbers beyond 64 bits), query parameters (known names and any others)
and, for POSTs, a body: form fields with or without a valid CSRF token, urlencoded (in odd
charsets too) or multipart (well-formed or not).
"""
import re
from urllib.parse import urlencode

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyramid.interfaces import IRoutesMapper

from tests.helpers import add_user, add_widget, log_in
from tests.web.ini_apps import app_from_ini

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Text a browser could send (lone surrogates cannot be encoded), NULs and all.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
raw_bytes = st.binary(max_size=12).map(lambda b: "".join(f"%{c:02X}" for c in b))
# Bytes that are not UTF-8: a lone %ff, overlong encodings of "/", a surrogate, a cut-off one.
bad_utf8 = st.sampled_from(["%ff", "%FF", "%c0%af", "%e0%80%af", "%f0%80%80%af", "%ed%a0%80",
                            "%c3", "%fe%ff", "a%80b"])
huge_numbers = st.sampled_from([str(2**31), str(2**31 - 1), str(2**63), str(2**63 - 1),
                                str(2**64), "9" * 30, "99999999999999999999", "-" + str(2**63),
                                "0", "00", "1e9"])
value = st.one_of(any_text, huge_numbers, st.sampled_from([
    "", "1", "-1", "²", "yes", "no", "asc", "desc", "csv", "xlsx", "/widgets", "//evil.example",
    "\x00", "a" * 300]), st.integers().map(str))
# Parameter and field names the pages read, and any others.
KNOWN_NAMES = ["q", "page", "per_page", "sort", "dir", "active", "after", "before", "came_from",
               "version", "description", "item_code", "uuid", "username", "password",
               "current_password", "new_password", "confirm_password", "logout_others",
               "__start__", "__end__", "save", "_charset_", "__formid__", "row", "status",
               "type", "action", "delete_missing"]
name = st.one_of(st.sampled_from(KNOWN_NAMES), any_text)
fields = st.lists(st.tuples(name, value), max_size=6)
ODD_CHARSETS = ["utf-16", "utf-16le", "latin-1", "ascii", "bogus", "utf-8", "UTF8", ""]
MALFORMED_MULTIPART = [
    b'--XX\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--XX--\r\n',  # no name
    b'--XX\r\nContent-Disposition: form-data; filename="a.csv"\r\n\r\nvalue\r\n--XX--\r\n',
    b'--XX\r\nContent-Disposition: form-data; name="q"\r\n\r\nvalue',  # never closed
    b'--XX\r\n\r\nno headers\r\n--XX--\r\n',
    b'--XX\r\nContent-Disposition: form-data; name="\xff"\r\n\r\n\xff\r\n--XX--\r\n',
    b'--YY\r\nContent-Disposition: form-data; name="q"\r\n\r\nx\r\n--YY--\r\n',  # wrong boundary
    b'',
]
APPS = ["tests", "development.ini", "production.ini"]


@pytest.fixture(params=APPS)
def served(request, app, database_url, tmp_path):
    """(WSGI app, host, scheme): the tests' own app, or one an ini file builds."""
    if request.param == "tests":
        yield app, "example.com", "http"
        return
    with app_from_ini(request.param, database_url, tmp_path) as built:
        yield built


@pytest.fixture
def world(served, tm, dbsession):
    """An administrator's client and an anonymous one, and a widget to aim at."""
    wsgi_app, host, scheme = served
    environ = {"HTTP_HOST": host, "wsgi.url_scheme": scheme, "REMOTE_ADDR": "192.0.2.10",
               "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession}
    if scheme == "https":
        environ["HTTP_ORIGIN"] = f"https://{host}"  # as a browser sends it (CSRF origin check)
    add_user(dbsession, "admin", admin=True)
    widget = add_widget(dbsession, "Target", components=[("A", "a")])
    admin = webtest.TestApp(wsgi_app, extra_environ=environ)
    anonymous = webtest.TestApp(wsgi_app, extra_environ=dict(environ, REMOTE_ADDR="192.0.2.77"))
    log_in(admin, "admin").follow()
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/password").text).group(1)
    assert send(admin, "GET", "/widgets").status_int == 200  # logged in
    assert send(anonymous, "GET", "/widgets").status_int == 303  # not logged in
    routes = sorted(wsgi_app.registry.getUtility(IRoutesMapper).get_routes(), key=lambda r: r.name)
    return {"admin": admin, "anonymous": anonymous, "token": token, "widget": widget,
            "routes": routes}


def fill(pattern, values, widget):
    """The route's pattern with each placeholder replaced (percent-encoded as a browser would)."""
    def one(match):
        text = values.pop(0) if values else ""
        if text == "@widget":
            return widget.uuid
        if text.startswith("%") or re.fullmatch(r"[0-9a-zA-Z%-]+", text):  # raw bytes, numbers
            return text
        return "".join(c if c.isalnum() and c.isascii() else
                       "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in text)
    path = re.sub(r"\{[^}]+\}|\*\w+", one, pattern)
    return path if path.startswith("/") else "/" + path


def urlencoded(pairs, charset="utf-8"):
    return urlencode([(k.encode(charset, "replace"), v.encode(charset, "replace"))
                      for k, v in pairs]).encode("ascii")


def multipart(pairs):
    parts = [b'--XX\r\nContent-Disposition: form-data; name="' + k.encode("utf-8", "replace")
             .replace(b'"', b"%22").replace(b"\r", b"").replace(b"\n", b"") + b'"\r\n\r\n'
             + v.encode("utf-8", "replace") + b"\r\n" for k, v in pairs]
    return b"".join(parts) + b"--XX--\r\n"


@st.composite
def bodies(draw, token):
    """(content type, body bytes) of a POST."""
    pairs = draw(fields, label="form")
    if draw(st.booleans(), label="valid token"):
        pairs = [("csrf_token", token)] + pairs
    kind = draw(st.sampled_from(["urlencoded", "charset", "multipart", "malformed"]),
                label="body kind")
    if kind == "urlencoded":
        return "application/x-www-form-urlencoded", urlencoded(pairs)
    if kind == "charset":
        charset = draw(st.sampled_from(ODD_CHARSETS), label="charset")
        encoding = charset if charset.startswith("utf-16") else "utf-8"
        return (f"application/x-www-form-urlencoded; charset={charset}",
                urlencoded(pairs, encoding) if encoding == "utf-8" else
                "&".join(f"{k}={v}" for k, v in pairs).encode(encoding, "replace"))
    if kind == "multipart":
        return "multipart/form-data; boundary=XX", multipart(pairs)
    return ("multipart/form-data" + draw(st.sampled_from(["; boundary=XX", ""])),
            draw(st.sampled_from(MALFORMED_MULTIPART), label="malformed multipart"))


@given(data=st.data())
@SETTINGS
@pytest.mark.parametrize("who", ["admin", "anonymous"])
def test_no_route_answers_5xx(world, who, data):
    route = data.draw(st.sampled_from(world["routes"]), label="route")
    holes = len(re.findall(r"\{[^}]+\}|\*\w+", route.pattern))
    values = data.draw(st.lists(st.one_of(st.just("@widget"), any_text, raw_bytes, bad_utf8,
                                          huge_numbers),
                                min_size=holes, max_size=holes), label="path values")
    path = fill(route.pattern, values, world["widget"])
    query = data.draw(st.one_of(st.just(""), fields.map(lambda f: urlencoded(f).decode()),
                                st.one_of(raw_bytes, bad_utf8).map(lambda b: "q=" + b),
                                huge_numbers.map(lambda n: f"page={n}&per_page={n}&row={n}")),
                      label="query")
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    body = None
    if method == "POST":
        body = data.draw(bodies(world["token"]), label="body")
        if route.name == "logout":
            body = ("application/x-www-form-urlencoded", b"")  # stay logged in
    url = path + ("?" + query if query else "")
    response = send(world[who], method, url, body)
    assert response.status_int < 500, (method, url, body, response.text[-2000:])


def send(client, method, url, body=None):
    """The request as a browser sends it, straight to the app (webtest's cookie jar
    refuses an address that is not UTF-8)."""
    request = webtest.TestRequest.blank(url, dict(client.extra_environ), method=method)
    secure = client.extra_environ.get("wsgi.url_scheme") == "https"
    cookies = {c.name: c.value for c in client.cookiejar if secure or not c.secure}
    if cookies:
        request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        request.body = body[1]
        request.environ["CONTENT_TYPE"] = body[0]  # as given, charset and boundary included
    return request.get_response(client.app)
