"""The Datasync page (datasync.view / datasync.manage); /healthz: tests/web/test_health.py."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from poser_web.models import DatasyncConsumer, DatasyncParked, utcnow
from tests.helpers import add_user, log_in


@pytest.fixture
def parked(dbsession):
    dbsession.add(DatasyncConsumer(name="reporting", kind="poser", cursor=41,
                                   last_success_at=utcnow(), last_error_at=utcnow(),
                                   last_error="change 42 parked: IntegrityError"))
    when = utcnow() - timedelta(seconds=5)
    for change_id, status in ((42, "parked"), (43, "waiting")):
        dbsession.add(DatasyncParked(consumer="reporting", change_id=change_id, entity="widget",
                                     entity_key="a" * 32, action="upsert", changed_at=when,
                                     status=status, attempts=5 if status == "parked" else 0,
                                     error="IntegrityError: boom"))
    dbsession.flush()


def test_the_page_shows_each_consumer_and_its_parked_changes(testapp, parked):
    page = testapp.get("/datasync")
    row = page.html.find("table", id="consumers").tbody.find("tr")
    cells = [td.get_text(strip=True) for td in row.find_all("td")]
    assert cells[:3] == ["reporting", "poser", "41"]
    assert "IntegrityError" in cells[6] and cells[7] == "2"
    assert page.html.find("button", string="Retry") and page.html.find("button", string="Skip")


def test_view_permission_without_manage_shows_no_buttons(anonymous_app, dbsession, parked):
    add_user(dbsession, "watcher", permissions=["datasync.view"])
    log_in(anonymous_app, "watcher")
    page = anonymous_app.get("/datasync")
    assert page.html.find("button", string="Retry") is None
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    anonymous_app.post("/datasync/reporting/42/retry", {"csrf_token": token}, status=403)


def test_no_permission_is_403(anonymous_app, dbsession):
    add_user(dbsession, "clerk", permissions=["widgets.list"])
    log_in(anonymous_app, "clerk")
    anonymous_app.get("/datasync", status=403)


def token_of(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


def test_retry_and_skip(testapp, dbsession, parked):
    token = token_of(testapp.get("/datasync"))
    testapp.post("/datasync/reporting/42/retry", {"csrf_token": token}, status=303)
    statuses = dict(dbsession.execute(select(DatasyncParked.change_id, DatasyncParked.status)).all())
    assert statuses == {42: "retry", 43: "retry"}

    response = testapp.post("/datasync/reporting/42/skip", {"csrf_token": token}, status=303)
    assert dbsession.scalars(select(DatasyncParked.change_id)).all() == [43]
    assert "skipped" in response.follow().text
    testapp.post("/datasync/reporting/42/skip", {"csrf_token": token}, status=404)
    testapp.post("/datasync/reporting/x/skip", {"csrf_token": token}, status=404)
    testapp.post("/datasync/reporting/43/skip", status=400)   # no CSRF token: nothing done


def test_the_menu_offers_the_datasync_page_to_whoever_may_see_it(testapp):
    nav = testapp.get("/widgets").html.find("nav")
    assert any(a["href"].endswith("/datasync") for a in nav.find_all("a"))
