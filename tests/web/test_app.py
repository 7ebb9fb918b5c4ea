"""The app boots from development.ini and answers its first pages."""
from pyramid.paster import get_app
from webtest import TestApp

from poser_web.tables.widgets.models import Widget
from tests.databases import REPO


def test_app_factory_boots_from_development_ini(database_url, monkeypatch):
    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    wsgi_app = get_app(str(REPO / "development.ini"))
    app = TestApp(wsgi_app)
    response = app.get("/widgets")
    assert response.status_int == 303 and "/login" in response.location
    assert app.get("/login").status_int == 200
    wsgi_app.registry["db_engine"].dispose()


def test_widget_list_shows_widgets(testapp, dbsession):
    dbsession.add(Widget(description="Sprocket"))
    dbsession.flush()
    response = testapp.get("/widgets")
    assert "Sprocket" in response.text


def test_home_page(testapp):
    assert testapp.get("/").status_int == 200
