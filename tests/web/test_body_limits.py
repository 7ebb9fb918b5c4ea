"""Bodies are capped before they are parsed: forms, uploads, and anything from anonymous users."""
import pytest

from poser_web.web import input_guard
from tests.helpers import csrf_token
from tests.web.test_bad_input import raw_post

# A multipart body that would be refused as malformed (400) if it were ever parsed.
MALFORMED_PART = b'--XX\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--XX--\r\n'
# The caps as the README documents them (not read from input_guard.py, so a changed cap fails).
FORM_CAP = 2 << 20       # 2 MB for a form
ANONYMOUS_CAP = 64 << 10  # 64 KB from anyone not logged in


def padded(size):
    return MALFORMED_PART + b"x" * (size - len(MALFORMED_PART))


def test_anonymous_big_bodies_are_refused_before_parsing(anonymous_app):
    response = raw_post(anonymous_app, "/login", padded(ANONYMOUS_CAP + 1),
                        "multipart/form-data; boundary=XX")
    assert response.status_int == 413
    assert "Log in first" in response.text
    # At the cap it is parsed (and refused for what it holds).
    assert raw_post(anonymous_app, "/login", padded(ANONYMOUS_CAP),
                    "multipart/form-data; boundary=XX").status_int == 400
    # A small one is parsed (and refused for what it holds).
    assert raw_post(anonymous_app, "/login", MALFORMED_PART,
                    "multipart/form-data; boundary=XX").status_int == 400


def test_a_form_over_the_form_cap_is_refused_before_parsing(testapp):
    body = b"description=" + b"x" * (FORM_CAP - len(b"description=") + 1)
    response = raw_post(testapp, "/widgets/new", body, "application/x-www-form-urlencoded")
    assert response.status_int == 413
    assert "larger than the limit of 2 MB" in response.text
    at_the_cap = raw_post(testapp, "/widgets/new", body[:-1], "application/x-www-form-urlencoded")
    assert at_the_cap.status_int == 400 and "larger than" not in at_the_cap.text  # read, refused


def test_a_logged_in_upload_over_the_form_cap_is_read(testapp):
    """Multipart bodies up to the upload limit are for the pages that take files."""
    token = csrf_token(testapp, "/batches/new?type=widget_import")
    content = b"%PDF" + b"x" * FORM_CAP
    response = testapp.post("/batches/new?type=widget_import", {"csrf_token": token},
                            upload_files=[("file", "big.pdf", content)], status=400)
    assert "is not a CSV or XLSX file" in response.text


def test_a_body_over_the_upload_cap_is_refused_before_parsing(app, testapp, monkeypatch):
    assert app.registry[input_guard.REGISTRY_KEY] >= 200 << 20  # the default upload limit fits
    monkeypatch.setitem(app.registry, input_guard.REGISTRY_KEY, 4 << 20)
    response = raw_post(testapp, "/batches/new?type=widget_import", padded((4 << 20) + 1),
                        "multipart/form-data; boundary=XX")
    assert response.status_int == 413
    assert "larger than the limit of 4 MB" in response.text


@pytest.mark.parametrize("ini", ["development.ini", "production.ini"])
def test_waitress_caps_bodies_just_above_the_app(ini):
    """waitress (1 GB by default) stops what the app would refuse anyway, before buffering it."""
    from configparser import ConfigParser

    from tests.databases import REPO

    parser = ConfigParser(interpolation=None)
    parser.read(REPO / ini)
    waitress_cap = int(parser["server:main"]["max_request_body_size"])
    app_cap = 200 * (1 << 20) + 64 * 1024
    assert app_cap < waitress_cap <= app_cap + (16 << 20)


def test_a_request_over_the_upload_limit_is_refused_even_with_a_small_file(app, testapp,
                                                                           monkeypatch):
    """The limit is on the request (checked from Content-Length before the file is kept): a
    small file beside a huge description makes no batch."""
    monkeypatch.setitem(app.registry.settings, "poser.batch_max_upload_mb", "1")
    token = csrf_token(testapp, "/batches/new?type=widget_import")
    response = testapp.post("/batches/new?type=widget_import",
                            {"csrf_token": token, "description": "x" * (1 << 20) + "x" * (65 << 10)},
                            upload_files=[("file", "small.csv", b"type,uuid,description\n")],
                            status=413)
    assert "larger than the limit of 1 MB" in response.text
    assert "/batches/" not in response.headers.get("Location", "")
