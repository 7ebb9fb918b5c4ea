"""The app exactly as `development.ini` and `production.ini` build it (their settings, tweens
and [loggers], production's environment variables: tests/web/ini_apps.py), sent real requests.

The tests' own app is built from a hand-made settings dict, so these are what catch an ini
that loosens security (cookies without Secure, no HSTS, sessions that never end) or a logger
configuration that breaks requests. Values are read from the ini itself, never restated."""
import logging
import re
from configparser import ConfigParser
from datetime import timedelta

import pytest
import webtest
from sqlalchemy import update

from poser_web.auth.sessions import parse_duration
from poser_web.models import ServerSession, utcnow
from tests.databases import REPO
from tests.helpers import add_user, log_in
from tests.web.ini_apps import app_from_ini
from tests.web.test_every_route_properties import send

INIS = ["development.ini", "production.ini"]


def ini_setting(name, key):
    parser = ConfigParser(interpolation=None)
    parser.read(REPO / name)
    return parser["app:main"].get(key)


@pytest.fixture(params=INIS)
def ini(request):
    return request.param


@pytest.fixture
def client(ini, database_url, tmp_path, tm, dbsession):
    """A client of the app `ini` builds, on the test's rolled-back session, with an
    administrator to log in as."""
    with app_from_ini(ini, database_url, tmp_path) as (wsgi_app, host, scheme):
        environ = {"HTTP_HOST": host, "wsgi.url_scheme": scheme, "REMOTE_ADDR": "192.0.2.10",
                   "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession}
        if scheme == "https":
            environ["HTTP_ORIGIN"] = f"https://{host}"  # as a browser sends it (CSRF check)
        add_user(dbsession, "admin", admin=True)
        yield webtest.TestApp(wsgi_app, extra_environ=environ)


def test_production_cookie_is_secure_and_hsts_is_sent(client, ini):
    login = log_in(client, "admin")
    cookie = next(v for k, v in login.headerlist
                  if k == "Set-Cookie" and v.startswith("poser_session="))
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite"} <= attributes
    page = client.get("/widgets")
    if ini == "production.ini":
        assert "secure" in attributes
        hsts = page.headers.get("Strict-Transport-Security", "")
        assert re.fullmatch(r"max-age=(\d+)", hsts) and int(hsts.split("=")[1]) >= 31536000
    else:  # plain HTTP on a developer's machine: a Secure cookie would never come back
        assert "secure" not in attributes
        assert "Strict-Transport-Security" not in page.headers


def _age_session(dbsession, idle=None, since_login=None):
    """Make the one session look unused for `idle` / logged in `since_login` ago."""
    now = utcnow()
    values = {}
    if idle is not None:
        values["last_seen_at"] = now - idle
    if since_login is not None:
        values["created_at"] = now - since_login
    dbsession.execute(update(ServerSession).values(**values))
    dbsession.expire_all()


def test_the_session_ends_after_the_configured_idle_time(client, ini, dbsession):
    """Expiry is tested through the session row's timestamps (no sleeping): unused for just
    under the ini's idle timeout, the session holds; just over, it has ended; and a night
    away (16 h) ends it whatever the ini says, as the README promises."""
    idle = parse_duration(ini_setting(ini, "poser.session_idle_timeout"), timedelta(hours=8))
    log_in(client, "admin").follow()
    _age_session(dbsession, idle=idle - timedelta(minutes=1))
    client.get("/widgets", status=200)
    _age_session(dbsession, idle=min(idle + timedelta(minutes=1), timedelta(hours=16)))
    assert "/login" in client.get("/widgets", status=303).location


def test_the_session_ends_at_the_configured_age_however_active(client, ini, dbsession):
    max_age = parse_duration(ini_setting(ini, "poser.session_max_age"), timedelta(hours=24))
    log_in(client, "admin").follow()
    _age_session(dbsession, idle=timedelta(0), since_login=max_age - timedelta(minutes=1))
    client.get("/widgets", status=200)
    # A stolen cookie kept alive is useful for a day at most.
    _age_session(dbsession, idle=timedelta(0),
                 since_login=min(max_age + timedelta(minutes=1), timedelta(hours=25)))
    assert "/login" in client.get("/widgets", status=303).location


def test_each_request_is_logged_by_the_ini_s_loggers(client, caplog):
    """The ini's [loggers] alone enable the request log (the tests' app logs nothing)."""
    client.get("/login")
    client.get("/widgets/" + "0" * 32, status=303)
    lines = [r.getMessage() for r in caplog.records if r.name == "poser_web.requests"]
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        "GET /login 200", f"GET /widgets/{'0' * 32} 303"]
    assert all(re.search(r" \d+\.\d ms$", line) for line in lines)
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "poser_web.requests")


@pytest.mark.parametrize("path", ["/%ff", "/widgets/%ff", "/%00", "/widgets?q=%ff",
                                  "/widgets/" + "a" * 8000, "/widgets?q=" + "x" * 8000])
@pytest.mark.parametrize("logged_in", [False, True])
def test_hostile_paths_are_answered_4xx(client, path, logged_in):
    if logged_in:
        log_in(client, "admin").follow()
    status = send(client, "GET", path).status_int
    assert 400 <= status < 500 or (not logged_in and status == 303), (path, status)


def test_a_host_the_site_does_not_serve_is_refused(client):
    response = client.get("/login", headers={"Host": "evil.example"}, expect_errors=True)
    assert response.status_int == 400
