"""The batch page of an execution: progress while it runs, the outcome after, and a batch
whose worker process stopped offered to be executed again."""
from poser_web.batch import workers
from poser_web.tables.widgets.models import Widget
from tests.batch.test_batches import HEADER, post, the_batch, upload

DEAD = "somehost 1 never 0 0"  # pid 1 of this host did not start then: stopped


def executing(dbsession, worker):
    batch = the_batch(dbsession)
    batch.state, batch.worker = "executing", worker
    dbsession.flush()
    return batch


def test_a_batch_whose_worker_stopped_is_offered_again_and_executes_once(testapp, dbsession):
    upload(testapp, HEADER + "widget,,Alpha,true,\n")
    batch = executing(dbsession, DEAD.replace("somehost", workers._host))
    page = testapp.get(f"/batches/{batch.uuid}")
    assert "stopped before it finished: nothing was changed. Execute it again." in page.text
    assert "Execute</button>" in page.text and 'id="batch-progress"' not in page.text
    assert testapp.get(f"/batches/{batch.uuid}/progress").json["stopped"] is True
    post(testapp, batch, "execute")
    page = testapp.get(f"/batches/{batch.uuid}")
    assert "Executed batch 1: 1 new." in page.text
    assert [w.description for w in dbsession.query(Widget)] == ["Alpha"]
    post(testapp, batch, "execute", status=409)
    assert dbsession.query(Widget).count() == 1


def test_a_running_execution_shows_its_progress_and_cannot_be_pressed_again(testapp, dbsession):
    upload(testapp, HEADER + "widget,,Alpha,true,\nwidget,,Beta,true,\n")
    worker = workers.new_name()
    workers.register(worker)
    try:
        workers.report(worker, 1, 2)
        batch = executing(dbsession, worker)
        page = testapp.get(f"/batches/{batch.uuid}")
        assert "Executing:" in page.text and "1 of 2 rows" in page.text
        assert "Execute</button>" not in page.text and "stopped" not in page.text
        progress = testapp.get(f"/batches/{batch.uuid}/progress").json
        assert (progress["state"], progress["progress"], progress["total"],
                progress["stopped"]) == ("executing", 1, 2, False)
        refused = post(testapp, batch, "execute", status=409)
        assert "is executing, not ready: nothing was executed" in refused.text
    finally:
        workers.unregister(worker)
    assert dbsession.query(Widget).count() == 0
