"""Batches have an owner: someone else's batch needs batches.manage to refresh, remove rows
of, execute, delete or download; downloading its file needs view permission on its table."""
import pytest
from sqlalchemy import select

from poser_web.models import Batch, BatchRow
from poser_web.tables.widgets.models import Widget
from tests.batch.test_batches import HEADER, the_batch, token_of, upload
from tests.helpers import add_user, log_in

CLERK = ["batches.list", "batches.view", "batches.create", "batches.execute", "batches.delete",
         "widgets.list", "widgets.view", "widgets.create", "widgets.edit", "widgets.delete"]


@pytest.fixture
def batch_of_ann(anonymous_app, dbsession):
    """Ann's batch of two new widgets; Bob, with the same permissions, logged in instead."""
    add_user(dbsession, "ann", permissions=CLERK)
    add_user(dbsession, "bob", permissions=CLERK)
    log_in(anonymous_app, "ann")
    upload(anonymous_app, HEADER + "widget,,First,true,\nwidget,,Second,true,\n")
    anonymous_app.reset()
    log_in(anonymous_app, "bob")
    return the_batch(dbsession)


ACTIONS = {"refresh": {}, "rows/remove": {"row": "1"}, "execute": {}, "delete": {}}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_someone_else_s_batch_is_refused_without_batches_manage(anonymous_app, dbsession,
                                                                 batch_of_ann, action):
    before = (batch_of_ann.state, batch_of_ann.refreshed_at, batch_of_ann.row_count)
    response = anonymous_app.post(f"/batches/{batch_of_ann.uuid}/{action}",
                                  {"csrf_token": token_of(anonymous_app), **ACTIONS[action]},
                                  status=403)
    assert "is ann's: to " in response.text and "batches.manage permission" in response.text
    after = the_batch(dbsession)
    assert after is not None and (after.state, after.refreshed_at, after.row_count) == before
    assert len(dbsession.scalars(select(BatchRow)).all()) == 2
    assert dbsession.scalars(select(Widget)).all() == []


def test_someone_else_s_batch_page_offers_no_actions_nor_the_file(anonymous_app, batch_of_ann):
    page = anonymous_app.get(f"/batches/{batch_of_ann.uuid}")
    buttons = {b.get_text(strip=True) for b in page.html.select("main button")}
    assert not buttons & {"Refresh", "Execute", "Delete"}
    assert not page.html.find("a", string="Download file")  # no link that would answer 403
    refused = anonymous_app.get(f"/batches/{batch_of_ann.uuid}/file", status=403)
    assert "is ann's" in refused.text


def test_batches_manage_acts_on_anyone_s_batch(anonymous_app, dbsession, batch_of_ann):
    add_user(dbsession, "boss", permissions=CLERK + ["batches.manage"])
    anonymous_app.reset()
    log_in(anonymous_app, "boss")
    assert anonymous_app.get(f"/batches/{batch_of_ann.uuid}/file").body.startswith(b"type,")
    anonymous_app.post(f"/batches/{batch_of_ann.uuid}/execute",
                       {"csrf_token": token_of(anonymous_app)}, status=303)
    assert len(dbsession.scalars(select(Widget)).all()) == 2


def test_the_owner_acts_on_their_own_batch(anonymous_app, dbsession, batch_of_ann):
    anonymous_app.reset()
    log_in(anonymous_app, "ann")
    link = anonymous_app.get(f"/batches/{batch_of_ann.uuid}").html.find("a", string="Download file")
    assert anonymous_app.get(link["href"]).body.startswith(b"type,")
    anonymous_app.post(f"/batches/{batch_of_ann.uuid}/refresh",
                       {"csrf_token": token_of(anonymous_app)}, status=303)
    anonymous_app.post(f"/batches/{batch_of_ann.uuid}/execute",
                       {"csrf_token": token_of(anonymous_app)}, status=303)
    assert the_batch(dbsession).state == "executed"


def test_downloading_the_file_needs_view_permission_on_its_table(anonymous_app, dbsession):
    add_user(dbsession, "carl", permissions=[p for p in CLERK if p != "widgets.view"])
    log_in(anonymous_app, "carl")
    upload(anonymous_app, HEADER + "widget,,First,true,\n")
    batch = the_batch(dbsession)
    assert not anonymous_app.get(f"/batches/{batch.uuid}").html.find("a", string="Download file")
    response = anonymous_app.get(f"/batches/{batch.uuid}/file", status=403)
    assert "holds records of a table you may not see (it needs widgets.view)" in response.text
    assert dbsession.get(Batch, batch.uuid) is not None
