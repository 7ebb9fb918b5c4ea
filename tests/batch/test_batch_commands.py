"""Batches committed for real: `poser import --batch`, `poser batch list|execute|purge`, two
executions at once, and populating on a connection of its own (as the web's background
thread does)."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from poser_web.batch import runner
from poser_web.batch.handler import B, NotEditable, by_number
from poser_web.batch.store import FileStore
from poser_web.batch.table_import import TableImportHandler
from poser_web.cli import main
from poser_web.db.engine import WRITE_OPTION
from poser_web.models import Batch, BatchRow, Change, User, utcnow
from poser_web.tables.widgets.models import Component, Widget
from poser_web.tables.widgets.views import WidgetView
from tests.databases import REPO, emptied_engine

INI = str(REPO / "development.ini")
HEADER = "type,uuid,description,active,item_code\n"
W1, C1 = "a1" * 16, "d4" * 16
FILE = HEADER + f"widget,{W1},Alpha,true,\ncomponent,{C1},Part,true,A1\nwidget,,Beta,false,\n"


@pytest.fixture
def real_db(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    monkeypatch.setenv("POSER_BATCH_DIR", str(tmp_path / "store"))
    with emptied_engine(database_url, (BatchRow, Batch, Change, Component, Widget, User)) as engine:
        yield engine


def scalar(engine, query):
    with engine.connect() as connection:
        return connection.scalar(query)


def write(tmp_path, content, name="widgets.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_import_batch_then_execute_from_the_command_line(real_db, tmp_path, capsys):
    with real_db.begin() as connection:
        connection.execute(User.__table__.insert().values(uuid="f" * 32, username="bob",
                                                          password_hash="x", active=True))
    assert main(["import", INI, "widgets", write(tmp_path, FILE), "--batch"]) == 0
    out = capsys.readouterr().out
    assert "Batch 1: 2 rows (2 new)" in out and "poser batch execute" in out
    assert scalar(real_db, select(func.count()).select_from(Widget)) == 0  # nothing applied
    assert main(["batch", "list", INI]) == 0
    assert "widget_import" in capsys.readouterr().out
    assert main(["batch", "execute", INI, "1", "--runas", "bob"]) == 0
    assert scalar(real_db, select(func.count()).select_from(Widget)) == 2
    with real_db.connect() as connection:
        history = connection.execute(select(Change.source, Change.username)).all()
    assert sorted(history) == [("batch 1", "bob"), ("batch 1", "bob")]
    assert main(["batch", "execute", INI, "1"]) == 2
    assert "executed once already" in capsys.readouterr().err
    assert scalar(real_db, select(func.count()).select_from(Change)) == 2


def test_a_bad_file_makes_no_batch(real_db, tmp_path, capsys):
    assert main(["import", INI, "widgets", write(tmp_path, "nope\n"), "--batch"]) == 2
    assert "line 1: wrong header" in capsys.readouterr().err
    assert scalar(real_db, select(func.count()).select_from(Batch)) == 0


def test_purge_removes_old_executed_batches_with_their_files(real_db, tmp_path, capsys):
    assert main(["import", INI, "widgets", write(tmp_path, FILE), "--batch"]) == 0
    assert main(["import", INI, "widgets", write(tmp_path, HEADER + "widget,,Gamma,true,\n"), "--batch"]) == 0
    assert main(["batch", "execute", INI, "1"]) == 0
    store = FileStore(tmp_path / "store")
    with real_db.begin() as connection:
        first = by_number(connection, 1)
        connection.execute(update(B).where(B.c.number == 1).values(
            executed_at=utcnow() - timedelta(days=40)))
    assert store.path(first.file_name).exists()
    capsys.readouterr()
    assert main(["batch", "purge", INI, "--days", "30"]) == 0
    assert "Purged 1 executed batch older than 30 days: 1." in capsys.readouterr().out
    assert not store.path(first.file_name).exists()
    with real_db.connect() as connection:
        assert connection.scalars(select(B.c.number)).all() == [2]  # not executed: kept
        assert connection.scalar(select(func.count()).select_from(BatchRow)) == 1


def test_two_executions_at_once_apply_the_batch_once(real_db, tmp_path):
    store = FileStore(tmp_path / "store")
    handler = TableImportHandler(WidgetView.describe())
    with real_db.connect() as connection:
        with connection.begin():
            uuid, _ = runner.create_from_file(connection, handler, write(tmp_path, FILE),
                                              "widgets.csv", None, store)
        runner.populate(connection, handler, uuid, store, commit=connection.commit)
    barrier, outcomes = threading.Barrier(2), []

    def press_execute(name):
        with real_db.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            barrier.wait()
            try:
                with connection.begin():
                    handler.execute(connection, uuid, name)
                outcomes.append("executed")
            except NotEditable as error:
                outcomes.append(str(error))

    threads = [threading.Thread(target=press_execute, args=(name,)) for name in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count("executed") == 1 and len(outcomes) == 2
    assert "executed once already" in next(o for o in outcomes if o != "executed")
    assert scalar(real_db, select(func.count()).select_from(Widget)) == 2
    assert scalar(real_db, select(func.count()).select_from(Change)) == 2
    assert scalar(real_db, select(B.c.state)) == "executed"


def test_populating_on_its_own_connection_shows_progress_and_ends_ready(real_db, tmp_path):
    rows = "".join(f"widget,,Widget {n},true,\ncomponent,,Part,true,P{n}\n" for n in range(2500))
    store = FileStore(tmp_path / "store")
    handler = TableImportHandler(WidgetView.describe())
    with real_db.begin() as connection:
        uuid, _ = runner.create_from_file(connection, handler, write(tmp_path, HEADER + rows),
                                          "big.csv", None, store)
    thread = runner.populate_in_background(real_db, handler, uuid, store)
    thread.join(120)
    with real_db.connect() as connection:
        batch = connection.execute(select(B).where(B.c.uuid == uuid)).one()
    assert (batch.state, batch.row_count, batch.progress, batch.progress_total) == (
        "ready", 2500, 5000, 5000)
