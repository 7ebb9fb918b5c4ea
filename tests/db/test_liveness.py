"""Pooled PostgreSQL connections are checked for life after a quiet spell, not on every
request (db/liveness.py): a connection the server dropped while it sat idle is replaced
before a page gets it; one in steady use costs no round trip."""
import time

import pytest
import webtest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from poser_web import main
from poser_web.db.engine import get_engine
from poser_web.db.liveness import DEFAULT_SECONDS, SETTING, ping_after
from tests.databases import migrate


def test_the_setting_reads_seconds_and_refuses_anything_else():
    assert ping_after({}) == DEFAULT_SECONDS
    assert ping_after({SETTING: "0"}) == 0
    assert ping_after({SETTING: "2.5"}) == 2.5
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ValueError, match=SETTING):
            ping_after({SETTING: bad})


@pytest.mark.only_db("postgresql")
def test_an_app_with_a_bad_setting_does_not_start(app_settings):
    with pytest.raises(ValueError, match="poser.db_ping_after = 'soon'"):
        main({}, **app_settings, **{SETTING: "soon"})


def backends_of(engine, database):
    """Kill every server process connected to `database` but the asking one."""
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).all()


@pytest.fixture
def own_database(scratch_databases):
    url = scratch_databases.create()
    migrate(url)
    return url


@pytest.mark.only_db("postgresql")
def test_a_page_after_the_server_dropped_the_idle_connections_is_served(own_database, app_settings):
    app = main({}, **{**app_settings, "sqlalchemy.url": own_database, SETTING: "0.2"})
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
    try:
        assert client.get("/healthz").json == {"status": "ok"}
        killer = create_engine(own_database, poolclass=NullPool)
        assert backends_of(killer, app.registry["db_engine"].url.database)  # the pooled one(s)
        time.sleep(0.3)
        # The dead connection is pinged, found lost and replaced: the page is served.
        assert client.get("/healthz").json == {"status": "ok"}
        killer.dispose()
    finally:
        app.registry["db_engine"].dispose()


@pytest.mark.only_db("postgresql")
@pytest.mark.parametrize(("idle_limit", "pings"), [("60", 0), ("0", 20)])
def test_connections_in_steady_use_are_not_pinged(database_url, monkeypatch, idle_limit, pings):
    engine = get_engine({"sqlalchemy.url": database_url, SETTING: idle_limit})
    done = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: done.append(1) or real_ping(c))
    try:
        for _ in range(21):  # the first is a new connection: never pinged
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        assert len(done) == pings
    finally:
        engine.dispose()
