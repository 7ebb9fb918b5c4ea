"""No input answers 500: each of these was a bare "Internal Server Error" (issue 11)."""
import logging
import re
import sqlite3
from urllib.parse import unquote

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from poser_web import configure
from poser_web.auth import sessions
from tests import factories
from tests.helpers import add_user, add_widget, csrf_token, log_in


@pytest.fixture
def widget(dbsession):
    return add_widget(dbsession, "Sprocket", components=[("A", "a")])


@pytest.mark.parametrize("path", ["/widgets/changes?page=%C2%B2",  # ² (a digit to isdigit())
                                  "/widgets/{uuid}/history?page=%C2%B2",
                                  "/widgets/{uuid}/history?page=%D9%A1"])  # Arabic-Indic 1
def test_unicode_digits_as_page_number(testapp, widget, path):
    response = testapp.get(path.format(uuid=widget.uuid), status=400)
    assert "page must be a whole number from 1." in response.text


def test_delete_with_a_unicode_digit_as_version(testapp, widget, dbsession):
    token = csrf_token(testapp)
    response = testapp.post(f"/widgets/{widget.uuid}/delete",
                            {"csrf_token": token, "version": "²"}, status=409)
    assert "did not say which version" in response.text
    assert testapp.get(f"/widgets/{widget.uuid}").status_int == 200  # not deleted


@pytest.mark.parametrize("path", [
    "/widgets?q=a%00b", "/components?q=%00", "/widgets/%00/history", "/widgets/export.csv?q=%00",
    "/widgets?sort=%00", "/widgets/%00", "/specimens?q=%00", "/widgets?%00=1",
])
def test_nul_bytes_in_addresses(testapp, path):
    response = testapp.get(path, status=400)
    assert "NUL character" in response.text
    assert response.content_type == "text/html"  # the styled error page


def test_nul_bytes_in_form_fields(testapp):
    token = csrf_token(testapp)
    response = testapp.post("/widgets/new", [("csrf_token", token), ("description", "a\x00b")],
                            status=400)
    assert "The field 'description' contains a NUL character." in response.text


def test_nul_byte_in_the_login_username(anonymous_app):
    page = anonymous_app.get("/login")
    token = page.forms[0]["csrf_token"].value
    response = anonymous_app.post("/login", {"csrf_token": token, "username": "ann\x00",
                                             "password": "x"}, status=400)
    assert "NUL character" in response.text


@pytest.mark.parametrize("path", ["/login?came_from=%FF", "/%FF", "/static/%FF", "/widgets/%C3"])
def test_invalid_utf8_in_the_address(anonymous_app, path):
    response = anonymous_app.get(path, status=400)
    assert "not valid UTF-8" in response.text


def test_invalid_utf8_in_a_form_is_read_as_replacement_characters(anonymous_app):
    """WebOb decodes form bodies leniently (U+FFFD): a login with such a name is just wrong."""
    token = anonymous_app.get("/login").forms[0]["csrf_token"].value
    response = anonymous_app.post(
        "/login", f"csrf_token={token}&username=%FF&password=x".encode(),
        content_type="application/x-www-form-urlencoded", status=401)
    assert "Wrong username or password." in response.text


@pytest.mark.parametrize("came_from", ["/widgets?q=東京", "/widgets?q=café", "/widgets?q=a%20b c"])
def test_came_from_with_non_ascii_text(anonymous_app, dbsession, came_from):
    add_user(dbsession, "ann", admin=True)
    response = log_in(anonymous_app, "ann", came_from=came_from)
    location = response.headers["Location"]
    assert location.isascii() and " " not in location
    assert unquote(location) == "http://example.com" + unquote(came_from)
    assert anonymous_app.get(location).status_int == 200  # logged in, and the page opens


def test_came_from_survives_the_round_trip_through_the_login_page(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    response = anonymous_app.get("/widgets?q=%E6%9D%B1%E4%BA%AC", status=303)
    page = response.follow()
    form = page.forms[0]
    form["username"], form["password"] = "ann", "correct horse battery"
    done = form.submit(status=303)
    assert unquote(done.headers["Location"]) == "http://example.com/widgets?q=東京"


def locked(*args, **kwargs):
    raise OperationalError("SELECT ...", {}, sqlite3.OperationalError("database is locked"))


def test_database_busy_while_loading_the_user_is_the_503_page(testapp, monkeypatch):
    """The session (and its user) is read before any view: a busy database there gets the
    "Database busy" page too."""
    token = csrf_token(testapp)
    monkeypatch.setattr(sessions.ServerSideSession, "_load", locked)
    for response in (testapp.get("/widgets", status=503),
                     testapp.post("/widgets/new", {"csrf_token": token}, status=503)):
        assert "Database busy" in response.text
        assert response.headers["Retry-After"] == "30"


@pytest.mark.only_db("sqlite")
def test_sqlite_lock_held_past_the_busy_timeout_is_the_503_page(app_settings, db_kind,
                                                                engine, monkeypatch):
    """For real: another connection holds SQLite's write lock while a save comes in."""
    from sqlalchemy import delete, insert

    from poser_web.auth.passwords import hash_password
    from poser_web.db import engine as db_engine
    from poser_web.models import LoginFailure, ServerSession, User

    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    config = configure(dict(app_settings))
    app = webtest.TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "example.com"})
    with engine.begin() as connection:
        connection.execute(insert(User).values(uuid="e" * 32, username="busy-ann",
                                               password_hash=hash_password("correct horse battery")))
    try:
        log_in(app, "busy-ann")
        token = app.get("/password").forms[0]["csrf_token"].value
        holder = engine.raw_connection()
        try:
            holder.execute("BEGIN IMMEDIATE")
            response = app.post("/logout", {"csrf_token": token}, status=503)
            assert "Database busy" in response.text
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        app.get("/password", status=200)  # still logged in: nothing happened
    finally:
        config.registry["db_engine"].dispose()
        with engine.begin() as connection:
            connection.execute(delete(ServerSession))
            connection.execute(delete(LoginFailure))
            connection.execute(delete(User).where(User.uuid == "e" * 32))


def test_an_unforeseen_error_gets_a_styled_500_page_with_a_reference(app_settings, tm,
                                                                     dbsession, caplog):
    config = configure(dict(app_settings))

    def broken(request):
        raise ZeroDivisionError("something nobody foresaw")

    config.add_route("broken", "/broken")
    config.add_view(broken, route_name="broken", permission="__no_permission_required__")
    app = webtest.TestApp(config.make_wsgi_app(), extra_environ={
        "HTTP_HOST": "example.com", "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession})
    try:
        with caplog.at_level(logging.ERROR, logger="poser_web"):
            response = app.get("/broken", status=500)
        assert "Something went wrong" in response.text and "nothing was saved" in response.text
        reference = re.search(r"the reference ([0-9A-F]{8})", response.text).group(1)
        assert response.headers["X-Error-Reference"] == reference
        assert "Bootstrap" not in response.text and "<nav" in response.text  # the site's layout
        logged = [r for r in caplog.records if reference in r.getMessage()]
        assert logged and "ZeroDivisionError" in caplog.text
    finally:
        config.registry["db_engine"].dispose()


def test_responses_raised_on_purpose_are_not_500s(app_settings, tm, dbsession):
    from pyramid.httpexceptions import HTTPConflict, HTTPSeeOther

    config = configure(dict(app_settings))

    def conflict(request):
        raise HTTPConflict("taken")

    def moved(request):
        raise HTTPSeeOther("/login")

    for name, view in (("conflict", conflict), ("moved", moved)):
        config.add_route(name, "/" + name)
        config.add_view(view, route_name=name, permission="__no_permission_required__")
    app = webtest.TestApp(config.make_wsgi_app(), extra_environ={
        "HTTP_HOST": "example.com", "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession})
    try:
        app.get("/conflict", status=409)
        app.get("/moved", status=303)
    finally:
        config.registry["db_engine"].dispose()


# -- issue 19: the last inputs that answered 500 ----------------------------------------


@pytest.mark.parametrize("path, logged", [("/%ff", "/%FF"), ("/widgets/%c0%af", "/widgets/%C0%AF"),
                                          ("/widgets?q=%ff", "/widgets?q=%ff")])
def test_raw_bytes_in_the_address_with_the_request_log_at_info(anonymous_app, caplog, path,
                                                               logged):
    """Both shipped ini files log requests at INFO: the log line is written whatever the bytes."""
    with caplog.at_level(logging.INFO, logger="poser_web.requests"):
        response = anonymous_app.get(path, status=400)
    assert "not valid UTF-8" in response.text
    [line] = [r.getMessage() for r in caplog.records if r.name == "poser_web.requests"]
    assert line.startswith(f"GET {logged} 400 ")


@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "bogus"])
def test_a_form_in_another_charset_is_refused(anonymous_app, charset):
    token = anonymous_app.get("/login").forms[0]["csrf_token"].value
    body = f"csrf_token={token}&username=ann&password=x"
    response = anonymous_app.post(
        "/login", body.encode("utf-16" if charset == "utf-16" else "ascii"),
        content_type=f"application/x-www-form-urlencoded; charset={charset}", status=400)
    assert "The form must be sent as UTF-8" in response.text


def raw_post(client, url, body, content_type):
    """`body` exactly as given (webtest would rebuild a multipart body of its own)."""
    request = webtest.TestRequest.blank(url, dict(client.extra_environ), method="POST",
                                        body=body, content_type=content_type)
    request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return request.get_response(client.app)


@pytest.mark.parametrize("body", [
    b'--XX\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--XX--\r\n',  # no name
    b'--XX\r\nContent-Disposition: form-data; filename="a.csv"\r\n\r\nvalue\r\n--XX--\r\n',
    b'no boundary here',
])
def test_malformed_multipart_bodies_are_refused(testapp, body):
    boundary = "" if body.startswith(b"no") else "; boundary=XX"
    response = raw_post(testapp, "/batches/new?type=widget_import", body,
                        "multipart/form-data" + boundary)
    assert response.status_int == 400
    assert "The form was not saved." in response.text


@pytest.fixture
def batch(testapp, dbsession):
    """A ready widget import batch of one row, uploaded as 中文.csv."""
    from tests.batch.test_batches import HEADER

    return factories.batch(testapp, dbsession, HEADER + "widget,,A,true,\n", name="中文.csv")


@pytest.mark.parametrize("path", ["rows?page=9223372036854775808", "rows?page=99999999999999999999",
                                  "rows?page=%C2%B2", "rows?page=0"])
def test_huge_or_odd_page_numbers_of_batch_rows(testapp, batch, path):
    response = testapp.get(f"/batches/{batch.uuid}/{path}", status=400)
    assert "page must be a whole number from 1." in response.text


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "1" * 30])
def test_huge_row_numbers_are_not_found(testapp, batch, number):
    response = testapp.get(f"/batches/{batch.uuid}/rows/{number}", status=404)
    assert f"has no row {number}" in response.text


@pytest.mark.parametrize("row", ["²", "9223372036854775808", "-1"])
def test_removing_odd_row_numbers_removes_nothing(testapp, batch, row):
    response = testapp.post(f"/batches/{batch.uuid}/rows/remove",
                            {"csrf_token": csrf_token(testapp), "row": row}, status=400)
    assert "Select the rows to remove first." in response.text


def test_a_file_with_a_non_ascii_name_downloads_under_that_name(testapp, batch):
    response = testapp.get(f"/batches/{batch.uuid}/file")
    disposition = response.headers["Content-Disposition"]
    assert disposition == "attachment; filename=\"__.csv\"; filename*=UTF-8''%E4%B8%AD%E6%96%87.csv"


@pytest.mark.parametrize("change", ["99999999999999999999", "9223372036854775808", "%C2%B2"])
def test_retrying_a_huge_datasync_change_number_is_not_found(testapp, change):
    response = testapp.post(f"/datasync/reporting/{change}/retry",
                            {"csrf_token": csrf_token(testapp)}, status=404)
    assert "no such parked change" in response.text


def test_nul_byte_in_an_uploads_text_field_is_refused(testapp, dbsession):
    """Multipart bodies are checked like forms: PostgreSQL would refuse the NUL deep inside
    the batch's INSERT (a 500); here it is a 400 and no batch."""
    from poser_web.models import Batch

    token = csrf_token(testapp, "/batches/new?type=widget_import")
    content = b"type,uuid,description,active,item_code\nwidget,,New,true,\n"
    response = testapp.post("/batches/new?type=widget_import",
                            {"csrf_token": token, "description": "evil\x00batch"},
                            upload_files=[("file", "w.csv", content)], status=400)
    assert "The field 'description' contains a NUL character." in response.text
    assert dbsession.scalars(select(Batch)).all() == []
