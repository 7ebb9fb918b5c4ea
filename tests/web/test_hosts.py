"""Host names: strictly parsed, only the allowed ones served, never echoed into a redirect."""
import pytest
import webtest
from pyramid.paster import get_app

from poser_web.auth.security import ConfigurationError
from poser_web.web.hosts import HostSettings, parse_host
from tests.auth.test_sessions import secure_app
from tests.databases import REPO


def test_an_unknown_host_is_refused(anonymous_app):
    response = anonymous_app.get("/widgets", headers={"Host": "evil.example"}, status=400)
    assert "not served under that host name" in response.text
    assert "evil.example" not in response.text
    anonymous_app.get("/login", headers={"Host": "example.com:8080"}, status=200)


@pytest.mark.parametrize("host", ["127.0.0.1:1@evil.example", "example.com:1@evil.example",
                                  "[::1]evil", "[::1]:6543@evil.example", "example.com:",
                                  "example.com:80:80", "example.com/evil", "example.com evil",
                                  "[::1%eth0]", "ex_ample.com"])
def test_a_malformed_host_header_is_refused(anonymous_app, host):
    response = anonymous_app.get("/widgets", headers={"Host": host}, status=400)
    assert "Location" not in response.headers
    assert "evil" not in response.text


@pytest.mark.parametrize("host, name", [("Example.COM:8080", "example.com"), ("[::1]:6543", "::1"),
                                        ("127.0.0.1", "127.0.0.1"), ("example.com.", "example.com")])
def test_well_formed_host_headers(host, name):
    assert parse_host(host) == name


def test_links_and_redirects_come_from_the_base_url(app_settings, tm, dbsession):
    app, client = secure_app(app_settings, tm, dbsession, **{
        "poser.base_url": "https://admin.example.org", "poser.allowed_hosts": "backend"})
    try:
        response = client.get("/widgets", headers={"Host": "backend:6543"}, status=303)
        assert response.location == "https://admin.example.org/login?came_from=%2Fwidgets"
        page = client.get("/login", headers={"Host": "admin.example.org"})
        assert 'action="https://admin.example.org/login"' in page.text
        assert "secure" in page.headers["Set-Cookie"].lower()  # the base URL is HTTPS
        client.get("/login", headers={"Host": "evil.example"}, status=400)
    finally:
        app.registry["db_engine"].dispose()


def test_allowed_host_patterns():
    assert not HostSettings({"poser.allowed_hosts": "example.com"}).allows("evil.example")
    assert HostSettings({"poser.allowed_hosts": "example.com"}).allows("127.0.0.1")
    development = HostSettings({"poser.development": "true"})
    assert development.allows("localhost") and development.allows("::1")
    assert not development.allows("anything.example")
    domain = HostSettings({"poser.allowed_hosts": ".example.com"})
    assert domain.allows("example.com") and domain.allows("a.example.com")
    assert not domain.allows("badexample.com")
    with pytest.raises(ConfigurationError, match="poser.base_url"):
        HostSettings({"poser.base_url": "admin.example.com"})


@pytest.fixture
def production_environment(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    monkeypatch.setenv("POSER_SECRET", "s" * 48)
    monkeypatch.setenv("POSER_BATCH_DIR", str(tmp_path))
    monkeypatch.delenv("POSER_BASE_URL", raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_its_address(production_environment):
    with pytest.raises(ConfigurationError, match="POSER_BASE_URL"):
        get_app(str(REPO / "production.ini"))


def test_production_health_checks_on_loopback_work_behind_the_base_url(production_environment):
    production_environment.setenv("POSER_BASE_URL", "https://admin.example.com")
    wsgi_app = get_app(str(REPO / "production.ini"))
    try:
        client = webtest.TestApp(wsgi_app)
        # The documented check: curl http://127.0.0.1:6543/healthz
        assert client.get("/healthz", headers={"Host": "127.0.0.1:6543"}).json["status"] == "ok"
        client.get("/healthz", headers={"Host": "127.0.0.1:1@evil.example"}, status=400)
        redirect = client.get("/widgets", headers={"Host": "admin.example.com"}, status=303)
        assert redirect.location.startswith("https://admin.example.com/login")
    finally:
        wsgi_app.registry["db_engine"].dispose()


@pytest.mark.parametrize("host, status", [("localhost", 200), ("127.0.0.1:6543", 200),
                                          ("[::1]:6543", 200), ("evil.example", 400),
                                          ("example.com", 400)])
def test_development_ini_serves_only_the_loopback_names(production_environment, host, status):
    wsgi_app = get_app(str(REPO / "development.ini"))
    try:
        response = webtest.TestApp(wsgi_app).get("/login", headers={"Host": host}, status=status)
        assert host not in response.text or status == 200
    finally:
        wsgi_app.registry["db_engine"].dispose()
