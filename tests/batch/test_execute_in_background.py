"""Execute as the web runs it: claimed in the request, applied by a background thread in one
transaction, progress counted, executed once with two Executes at once, and a batch whose
worker process died mid-way (nothing applied) executed again."""
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select

from poser_web.batch import runner, workers
from poser_web.batch.handler import B, NotEditable
from poser_web.batch.store import FileStore
from poser_web.batch.table_import import TableImportHandler
from poser_web.db.engine import WRITE_OPTION
from poser_web.models import Change
from poser_web.tables.widgets.models import Widget
from poser_web.tables.widgets.views import WidgetView
from tests.batch.test_batch_commands import HEADER, scalar, write
from tests.databases import REPO

ROWS = 1500


def make_batch(engine, tmp_path, widgets=ROWS):
    rows = "".join(f"widget,,Widget {n},true,\n" for n in range(widgets))
    store = FileStore(tmp_path / "store")
    handler = TableImportHandler(WidgetView.describe())
    with engine.connect() as connection:
        with connection.begin():
            uuid, _ = runner.create_from_file(connection, handler, write(tmp_path, HEADER + rows),
                                              "widgets.csv", None, store)
        runner.populate(connection, handler, uuid, store, commit=connection.commit)
    return handler, uuid


def claim(engine, handler, uuid, worker, stopped=None):
    with engine.connect() as connection:
        connection = connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            handler.claim(connection, uuid, worker=worker, stopped=stopped)
    workers.register(worker)


def state(engine, uuid):
    with engine.connect() as connection:
        return connection.execute(select(B.c.state, B.c.worker, B.c.message)
                                  .where(B.c.uuid == uuid)).one()


def test_a_claimed_batch_is_applied_in_the_background_with_progress(real_db, tmp_path):
    handler, uuid = make_batch(real_db, tmp_path)
    worker = workers.new_name()
    claim(real_db, handler, uuid, worker)
    assert state(real_db, uuid).state == "executing"
    seen = []
    report = workers.report

    def spy(name, done, total=None):
        seen.append((done, total))
        report(name, done, total)

    workers.report = spy
    try:
        runner.execute_in_background(real_db, handler, uuid, "bob", worker).join(120)
    finally:
        workers.report = report
    assert seen == [(0, ROWS), (1000, ROWS), (ROWS, ROWS)]
    assert tuple(state(real_db, uuid)) == ("executed", None, None)
    assert scalar(real_db, select(func.count()).select_from(Widget)) == ROWS
    assert scalar(real_db, select(func.count()).select_from(Change)) == ROWS
    assert workers.progress(worker) is None  # the thread is done: nothing kept


def test_two_executes_at_once_claim_it_once(real_db, tmp_path):
    handler, uuid = make_batch(real_db, tmp_path, widgets=3)
    barrier, outcomes, names = threading.Barrier(2), [], [workers.new_name() for _ in range(2)]

    def press_execute(worker):
        barrier.wait()
        try:
            claim(real_db, handler, uuid, worker)
            outcomes.append(worker)
        except NotEditable as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=press_execute, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    [winner] = [o for o in outcomes if o in names]
    [refused] = [o for o in outcomes if o not in names]
    assert "is executing, not ready: nothing was executed" in refused
    runner.execute_committing(real_db, handler, uuid, "ann", winner)
    assert state(real_db, uuid).state == "executed"
    assert scalar(real_db, select(func.count()).select_from(Widget)) == 3


CRASH = """
import os, sys
from poser_web.batch import runner, workers
from poser_web.batch.table_import import TableImportHandler
from poser_web.db.engine import WRITE_OPTION, get_engine
from poser_web.tables.widgets.views import WidgetView
engine = get_engine({"sqlalchemy.url": sys.argv[1]})
handler = TableImportHandler(WidgetView.describe())
worker = workers.new_name()
with engine.connect() as connection:
    connection = connection.execution_options(**{WRITE_OPTION: True})
    with connection.begin():
        handler.claim(connection, sys.argv[2], worker=worker)
    with connection.begin():
        def progress(done, total):
            if done:  # a chunk is written (not committed): the process dies
                os._exit(9)
        handler.apply(connection, sys.argv[2], "ann", worker=worker, progress=progress)
"""


def test_a_worker_that_died_mid_way_applied_nothing_and_the_batch_executes_again(
        real_db, tmp_path, database_url):
    handler, uuid = make_batch(real_db, tmp_path)
    died = subprocess.run([sys.executable, "-c", CRASH, database_url, uuid], cwd=REPO,
                          env={"PYTHONPATH": str(REPO)}, capture_output=True, check=False, timeout=120)
    assert died.returncode == 9, died.stderr.decode()
    left = state(real_db, uuid)
    assert left.state == "executing" and left.worker
    assert scalar(real_db, select(func.count()).select_from(Widget)) == 0  # nothing half-applied
    with real_db.connect() as connection:
        assert workers.stopped(connection, left.worker, 1)
    retry = workers.new_name()
    try:
        claim(real_db, handler, uuid, retry)  # a plain Execute is refused: it is executing
    except NotEditable as error:
        assert "is executing" in str(error)
    else:
        raise AssertionError("claimed a batch that is executing")
    claim(real_db, handler, uuid, retry, stopped=left.worker)
    runner.execute_committing(real_db, handler, uuid, "bob", retry)
    assert state(real_db, uuid).state == "executed"
    assert scalar(real_db, select(func.count()).select_from(Widget)) == ROWS


def test_a_live_worker_is_not_taken_for_stopped(real_db, tmp_path):
    handler, uuid = make_batch(real_db, tmp_path, widgets=2)
    worker = workers.new_name()
    claim(real_db, handler, uuid, worker)
    with real_db.connect() as connection:
        assert not workers.stopped(connection, worker, 1)  # this process runs it
        other = f"{workers.new_name().split(' ', 1)[0]} 1 x {int(time.time())} 0"
        assert not workers.stopped(connection, other.replace(
            other.split()[0], "elsewhere"), 1)  # another host, just claimed
        assert workers.stopped(connection, other, 1)  # this host, pid 1 started otherwise
    workers.unregister(worker)


def test_a_worker_taken_over_writes_nothing(real_db, tmp_path):
    handler, uuid = make_batch(real_db, tmp_path, widgets=2)
    first, second = workers.new_name(), workers.new_name()
    claim(real_db, handler, uuid, first)
    workers.unregister(first)  # as if its thread never started
    claim(real_db, handler, uuid, second, stopped=first)
    runner.execute_committing(real_db, handler, uuid, "ann", first)
    assert scalar(real_db, select(func.count()).select_from(Widget)) == 0
    assert state(real_db, uuid).worker == second
    runner.execute_committing(real_db, handler, uuid, "bob", second)
    assert state(real_db, uuid).state == "executed"
    assert scalar(real_db, select(func.count()).select_from(Widget)) == 2


def test_a_worker_on_another_host_is_alive_while_it_holds_the_lock(real_db, tmp_path):
    """PostgreSQL: the executing transaction's advisory lock says the worker runs; SQLite,
    whose file no other host shares safely, assumes it does."""
    elsewhere = f"elsewhere 12 34 {int(time.time()) - workers.GRACE_SECONDS - 1} 0"
    with real_db.connect() as holder, real_db.connect() as connection:
        with holder.begin():
            workers.hold(holder, 7)
            assert not workers.stopped(connection, elsewhere, 7)
        assert workers.stopped(connection, elsewhere, 7) == (real_db.dialect.name == "postgresql")
