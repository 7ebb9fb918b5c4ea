"""Light pages: gzipped HTML, versioned static files cached for a year, gzipped once."""
import gzip
import re

import pytest
from webob import Request

from poser_web.web.assets import IMMUTABLE
from tests.helpers import add_widget

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def raw_get(testapp, url, headers=None):
    """A response as sent (WebTest decodes gzip itself), with the client's cookies."""
    cookies = "; ".join(f"{name}={value}" for name, value in testapp.cookies.items())
    request = Request.blank(url, environ=dict(testapp.extra_environ),
                            headers={"Cookie": cookies, **(headers or {})})
    return request.get_response(testapp.app)


def asset_urls(response):
    """The page's stylesheet and script URLs, in document order."""
    html = response.html
    return ([link["href"] for link in html.find_all("link", rel="stylesheet")]
            + [script["src"] for script in html.find_all("script", src=True)])


def test_pages_are_gzipped_when_accepted_and_decode_to_the_same_page(testapp, dbsession):
    for i in range(20):
        add_widget(dbsession, f"Widget {i}")
    plain = raw_get(testapp, "/widgets")
    assert plain.status_code == 200 and plain.headers.get("Content-Encoding") is None
    compressed = raw_get(testapp, "/widgets", GZIP)
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert int(compressed.headers["Content-Length"]) < len(plain.body) / 3
    decoded = gzip.decompress(compressed.body)
    # The same page: only the per-request CSRF-free parts may differ (there are none on a GET).
    assert decoded == plain.body


@pytest.mark.parametrize(("accept", "gzipped"), [
    ("gzip", True), ("GZip , br", True), ("br, *", True), ("deflate;q=1, gzip;q=0.5", True),
    ("identity", False), ("br, deflate", False), ("", False), ("gzip;q=0", False), ("*;q=0", False),
])
def test_pages_are_gzipped_only_when_the_client_says_it_takes_gzip(testapp, dbsession, accept, gzipped):
    for i in range(20):
        add_widget(dbsession, f"Widget {i}")
    response = raw_get(testapp, "/widgets", {"Accept-Encoding": accept})
    assert (response.headers.get("Content-Encoding") == "gzip") is gzipped
    body = gzip.decompress(response.body) if gzipped else response.body
    assert b"Widget 19" in body


def test_gzip_sizes_vary_against_breach(testapp, dbsession):
    add_widget(dbsession, "Widget")
    sizes = {len(raw_get(testapp, "/widgets", GZIP).body) for _ in range(8)}
    assert len(sizes) > 1


def test_exports_are_streamed_uncompressed(testapp, dbsession):
    add_widget(dbsession, "Exported")
    response = raw_get(testapp, "/widgets/export.csv", GZIP)
    assert response.headers.get("Content-Encoding") is None
    assert "Exported" in response.text


def test_static_urls_are_versioned_by_content(testapp):
    urls = asset_urls(testapp.get("/widgets"))
    assert urls, "the page links its stylesheets and scripts"
    for url in urls:
        assert re.search(r"/(static|deform-static)/[0-9a-f]{16}/", url), url


def test_versioned_static_files_are_immutable_and_gzipped_once(testapp):
    url = next(u for u in asset_urls(testapp.get("/widgets")) if "bootstrap.min.css" in u)
    plain = raw_get(testapp, url)
    assert plain.headers["Cache-Control"] == IMMUTABLE
    assert plain.headers["Content-Type"].startswith("text/css")
    assert plain.status_code == 200 and plain.headers.get("Content-Encoding") is None
    compressed = raw_get(testapp, url, GZIP)
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert compressed.headers["Cache-Control"] == IMMUTABLE
    assert gzip.decompress(compressed.body) == plain.body
    assert len(compressed.body) < len(plain.body) / 4
    again = raw_get(testapp, url, GZIP)
    assert again.body == compressed.body  # the same bytes: compressed once, kept
    not_modified = testapp.get(url, headers={"If-None-Match": plain.headers["ETag"]}, status=304)
    assert not_modified.body == b""


def test_an_outdated_digest_gets_the_current_file_briefly_cached(testapp):
    url = next(u for u in asset_urls(testapp.get("/widgets")) if "poser.css" in u)
    stale = re.sub(r"/[0-9a-f]{16}/", "/0123456789abcdef/", url)
    response = testapp.get(stale)
    assert response.body == testapp.get(url).body
    assert "immutable" not in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/static/0123456789abcdef/../__init__.py",
                                  "/static/0123456789abcdef/missing.css",
                                  "/deform-static/0123456789abcdef/%2e%2e/__init__.py"])
def test_nothing_outside_the_directories_is_served(anonymous_app, path):
    anonymous_app.get(path, status=404)


def test_static_files_need_no_login(anonymous_app, testapp):
    url = asset_urls(testapp.get("/widgets"))[0]
    testapp.post("/logout", {"csrf_token": testapp.get("/widgets").html.find("input", {"name": "csrf_token"})["value"]})
    anonymous_app.get(url, status=200)


def test_list_pages_load_no_form_scripts(testapp):
    scripts = [u for u in asset_urls(testapp.get("/widgets")) if u.endswith(".js")]
    assert not any("jquery" in u or "deform.js" in u for u in scripts)
    form_scripts = [u for u in asset_urls(testapp.get("/widgets/new")) if u.endswith(".js")]
    assert any("jquery" in u for u in form_scripts) and any("deform.js" in u for u in form_scripts)


def test_compressed_bodies_decode_with_the_standard_library():
    from poser_web.web.compression import compress

    # Past one deflate block and ISA-L's buffers; text of every width, and a tiny body.
    for body in ("Ünïcode ✓ widget · " * 9000).encode(), bytes(range(256)) * 300, b"x":
        assert gzip.decompress(compress(body)) == body  # the CRC-32 and length checked too
