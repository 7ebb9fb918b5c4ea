"""Security headers, secrets, and transient database errors."""
import pytest
import webtest
from pyramid.paster import get_app
from sqlalchemy.exc import OperationalError

from poser_web import configure
from poser_web.auth.security import ConfigurationError, check_secret
from tests.databases import REPO
from tests.waiting import blocked_in, wait_until

PATHS = ["/widgets", "/login", "/static/poser.js", "/widgets/" + "0" * 32, "/widgets?page=abc"]


@pytest.mark.parametrize("path", PATHS)
def test_security_headers_on_every_response(testapp, path):
    response = testapp.get(path, expect_errors=True)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(testapp, dbsession):
    from tests.helpers import add_widget

    widget = add_widget(dbsession, "Scripted", components=[("A", "a")])
    pages = [testapp.get(path) for path in (
        "/widgets", "/widgets/new", f"/widgets/{widget.uuid}/edit", f"/widgets/{widget.uuid}/delete")]
    testapp.reset()
    pages.append(testapp.get("/login"))
    for page in pages:
        html, path = page.html, page.request.path
        for script in html.find_all("script"):
            assert script.get("src") and not script.get_text(strip=True), (path, script)
        for tag in html.find_all(True):
            assert not [a for a in tag.attrs if a.startswith("on")], (path, tag)


def test_pages_are_not_cached(testapp):
    assert testapp.get("/widgets").headers["Cache-Control"] == "no-store"
    assert "no-store" not in testapp.get("/static/poser.js").headers.get("Cache-Control", "")


@pytest.mark.parametrize("settings, message", [
    ({}, "poser.secret is not set: set POSER_SECRET"),
    ({"poser.secret": "development-only-secret"}, "the development default"),
    ({"poser.secret": "short"}, "shorter than 32"),
])
def test_production_refuses_missing_or_default_secret(settings, message):
    with pytest.raises(ConfigurationError, match=message):
        check_secret(settings)


def test_production_ini_refuses_to_start_without_a_secret(monkeypatch, database_url):
    monkeypatch.delenv("POSER_SECRET", raising=False)
    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    monkeypatch.setenv("POSER_BASE_URL", "https://admin.example.com")
    with pytest.raises(ConfigurationError, match="POSER_SECRET"):
        get_app(str(REPO / "production.ini"))
    monkeypatch.setenv("POSER_SECRET", "s" * 48)
    get_app(str(REPO / "production.ini")).registry["db_engine"].dispose()


def test_development_secret_is_accepted_in_development():
    assert check_secret({"poser.secret": "development-only-secret", "poser.development": "true"})


class SerializationFailure(Exception):
    """Stands in for the driver's error: SQLSTATE 40001."""

    sqlstate = "40001"


def test_serialization_failures_are_retried(app_settings, monkeypatch):
    """pyramid_retry replays a request whose transaction hit a serialization failure."""
    import psycopg.errors
    from zope.sqlalchemy import datamanager

    # zope.sqlalchemy recognises psycopg's OperationalError with SQLSTATE 40xxx.
    error_type = psycopg.errors.SerializationFailure
    assert any(issubclass(error_type, t) for t, _ in datamanager._retryable_errors)

    calls = []
    config = configure(dict(app_settings, **{"retry.attempts": "3"}))

    def flaky(request):
        calls.append(1)
        request.dbsession.connection()  # join the transaction, as a real view does
        if len(calls) < 3:
            raise OperationalError("UPDATE ...", {}, error_type("could not serialize access"))
        return request.response

    config.add_route("flaky", "/flaky")
    config.add_view(flaky, route_name="flaky", permission="__no_permission_required__")
    app = webtest.TestApp(config.make_wsgi_app())
    assert app.get("/flaky").status_int == 200
    assert len(calls) == 3
    config.registry["db_engine"].dispose()


def test_concurrent_writers_wait_instead_of_failing(engine):
    """A second writer of the same row waits for the first, then succeeds."""
    import threading
    import time

    from sqlalchemy import delete, insert, update

    from poser_web.db.engine import WRITE_OPTION
    from poser_web.tables.widgets.models import Widget

    writer = engine.execution_options(**{WRITE_OPTION: True})
    with writer.begin() as connection:
        connection.execute(insert(Widget).values(uuid="c" * 32, description="start", version=1))
    finished = {}

    def second_writer():
        with writer.begin() as connection:
            connection.execute(update(Widget).where(Widget.uuid == "c" * 32).values(description="second"))
        finished["second"] = time.monotonic()

    try:
        with writer.begin() as first:
            first.execute(update(Widget).where(Widget.uuid == "c" * 32).values(description="first"))
            thread = threading.Thread(target=second_writer)
            thread.start()
            # Blocked in the driver (PostgreSQL's row lock) or in the queue of SQLite's writers
            # (db/sqlite_writers.py: WriterLock.take), not finished.
            wait_until(lambda: blocked_in(thread, "do_execute", "do_execute_no_params", "take")
                       or "second" in finished, "the second writer to reach the lock")
            assert "second" not in finished  # still waiting for the first writer
            first_committed = time.monotonic()
        thread.join(timeout=20)
        assert finished["second"] >= first_committed
        with engine.connect() as connection:
            description = connection.scalar(Widget.__table__.select().with_only_columns(Widget.description))
        assert description == "second"
    finally:
        with writer.begin() as connection:
            connection.execute(delete(Widget).where(Widget.uuid == "c" * 32))


def test_sqlite_settings_for_concurrency(engine):
    """On SQLite: writers wait (busy timeout) and readers never block them (WAL)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        else:
            assert connection.exec_driver_sql("SHOW default_transaction_isolation").scalar() in (
                "read committed", "repeatable read", "serializable")


def test_a_locked_database_answers_503_not_500(app_settings):
    """SQLite's lock held past the busy timeout (a long import): a clear 503, nothing saved."""
    import sqlite3

    config = configure(dict(app_settings))

    def locked(request):
        request.dbsession.connection()
        raise OperationalError("UPDATE ...", {}, sqlite3.OperationalError("database is locked"))

    config.add_route("locked", "/locked")
    config.add_view(locked, route_name="locked", permission="__no_permission_required__")
    app = webtest.TestApp(config.make_wsgi_app())
    response = app.get("/locked", status=503)
    assert "Nothing was saved; try again in a minute." in response.text
    assert response.headers["Retry-After"] == "30"
    config.registry["db_engine"].dispose()
