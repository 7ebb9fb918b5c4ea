"""Nothing lost, nothing doubled: a batch compared with data that someone else then created,
changed or deleted refuses to execute (each case on its own), and a batch executes once even
when a second execution would find nothing stale."""
import json

import pytest
from sqlalchemy import func, select

from poser_web.models import Batch, BatchRow, Change
from poser_web.tables.widgets.models import Widget
from tests.batch.test_batches import HEADER, post, rows_of, the_batch, upload
from tests.helpers import add_widget

NEW_KEY = "ab" * 16


def stale_messages(dbsession, batch):
    dbsession.expire_all()
    return {row.entity_uuid: row.message for row in rows_of(dbsession, batch) if row.message}


def test_a_record_created_by_someone_else_since_the_refresh(testapp, dbsession):
    upload(testapp, HEADER + f"widget,{NEW_KEY},Planned,true,\n")
    batch = the_batch(dbsession)
    assert [r.status for r in rows_of(dbsession, batch)] == ["new"]
    dbsession.add(Widget(uuid=NEW_KEY, description="Made meanwhile"))
    dbsession.flush()
    refused = post(testapp, batch, "execute", status=409)
    assert "changed since the batch was refreshed" in refused.text
    assert stale_messages(dbsession, batch) == {
        NEW_KEY: "Created by someone else since the batch was refreshed."}
    assert dbsession.get(Widget, NEW_KEY).description == "Made meanwhile"


def test_a_record_deleted_by_someone_else_since_the_refresh(testapp, dbsession):
    doomed = add_widget(dbsession, "Doomed")
    upload(testapp, HEADER + f"widget,{doomed.uuid},Renamed,true,\n")
    batch = the_batch(dbsession)
    assert [r.status for r in rows_of(dbsession, batch)] == ["update"]
    key = doomed.uuid
    dbsession.delete(doomed)
    dbsession.flush()
    post(testapp, batch, "execute", status=409)
    assert stale_messages(dbsession, batch) == {
        key: "Deleted by someone else since the batch was refreshed."}
    assert dbsession.get(Widget, key) is None  # not recreated


def test_a_record_changed_by_someone_else_since_the_refresh(testapp, dbsession):
    widget = add_widget(dbsession, "Before")
    upload(testapp, HEADER + f"widget,{widget.uuid},After,true,\n")
    batch = the_batch(dbsession)
    widget.description = "Meanwhile"
    dbsession.flush()
    post(testapp, batch, "execute", status=409)
    [message] = stale_messages(dbsession, batch).values()
    assert message.startswith("Changed by someone else") and "version 1 then, 2 now" in message
    dbsession.expire_all()
    assert dbsession.get(Widget, widget.uuid).description == "Meanwhile"


@pytest.mark.parametrize("status", ["unchanged"])
def test_executes_once_even_when_nothing_would_be_stale(testapp, dbsession, status):
    """A batch whose execution writes nothing leaves nothing for the stale check to trip on:
    only the executed state refuses the second Execute."""
    widget = add_widget(dbsession, "Same")
    upload(testapp, HEADER + f"widget,{widget.uuid},Same,true,\n")
    batch = the_batch(dbsession)
    assert [r.status for r in rows_of(dbsession, batch)] == [status]
    post(testapp, batch, "execute")
    executed = the_batch(dbsession)
    first_at, first_by = executed.executed_at, executed.executed_by
    refused = post(testapp, batch, "execute", status=409)
    assert "executed once already" in refused.text
    again = the_batch(dbsession)
    assert (again.state, again.executed_at, again.executed_by) == ("executed", first_at, first_by)
    assert dbsession.scalar(select(func.count()).select_from(Batch)) == 1


def test_a_refresh_clears_stale_messages_and_then_executes(testapp, dbsession):
    widget = add_widget(dbsession, "Before")
    upload(testapp, HEADER + f"widget,{widget.uuid},After,true,\n")
    batch = the_batch(dbsession)
    widget.active = False
    dbsession.flush()
    post(testapp, batch, "execute", status=409)
    post(testapp, batch, "refresh")
    assert stale_messages(dbsession, batch) == {}
    row = dbsession.scalars(select(BatchRow).where(BatchRow.batch_uuid == batch.uuid)).one()
    assert json.loads(row.diff)["fields"] == {"active": [False, True],
                                              "description": ["Before", "After"]}
    post(testapp, batch, "execute")
    dbsession.expire_all()
    assert (widget.description, widget.active) == ("After", True)
    sources = dbsession.scalars(select(Change.source).where(Change.entity_uuid == widget.uuid,
                                                            Change.source.like("batch%"))).all()
    assert sources == [f"batch {batch.number}"]
