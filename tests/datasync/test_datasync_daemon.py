"""`poser datasync`: the poser consumer into SQLite and PostgreSQL targets, exactly once through
crashes (kill -9) and target outages; parking, retry and skip; catch-up; status; prune."""
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from poser_web.cli import main as cli
from poser_web.datasync import store
from poser_web.datasync.daemon import Daemon
from poser_web.db.engine import get_engine
from poser_web.models import DatasyncConsumer, DatasyncCursor, DatasyncParked
from poser_web.tables.widgets.models import Component, Widget
from tests.databases import REPO, ScratchDatabases, migrate
from tests.datasync_support import (
    RUNAS,
    RecordingConsumer,
    add_widgets,
    datasync_history,
    last_change,
    reset,
    run_in_thread,
    settings_for,
    snapshot,
    write_config,
    writer,
)

NOTE = re.compile(r"\(datasync change (\d+)\)$")


@pytest.fixture(scope="module")
def other_scratch(db_kind, tmp_path_factory):
    other = ScratchDatabases("postgresql" if db_kind == "sqlite" else "sqlite",
                             tmp_path_factory.mktemp("other"))
    yield other
    other.drop_all()


def _fresh(databases, revision="heads"):
    url = databases.create()
    migrate(url, revision)
    return url


@pytest.fixture(scope="module")
def source_url(scratch_databases):
    return _fresh(scratch_databases)


@pytest.fixture(scope="module")
def target_urls(scratch_databases, other_scratch, db_kind):
    same = _fresh(scratch_databases)
    other = _fresh(other_scratch)
    return {db_kind: same, other_scratch.kind: other}


@pytest.fixture
def source(source_url):
    engine = get_engine({"sqlalchemy.url": source_url})
    reset(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, target_urls):
    engine = get_engine({"sqlalchemy.url": target_urls[request.param]})
    reset(engine)
    yield engine
    engine.dispose()


def node(target, **options):
    return {"type": "poser", "url": target.url.render_as_string(hide_password=False),
            "runas": RUNAS, **options}


def sync(source, target, **numbers):
    settings = settings_for(source.url.render_as_string(hide_password=False),
                            {"node": node(target)}, **numbers)
    return Daemon(settings).run(until_idle=True, install_signals=False)


def applied_once(source, target):
    """Every change in the source's log has exactly one history entry on the target."""
    notes = Counter(int(NOTE.search(summary).group(1)) for summary, _ in datasync_history(target)
                    if NOTE.search(summary))
    with source.connect() as connection:
        ids = set(connection.scalars(text("SELECT id FROM poser_datasync_change")))
    duplicates = {i: n for i, n in notes.items() if n > 1}
    return set(notes) == ids and not duplicates, (len(ids), len(notes), duplicates)


def target_cursor(target, name="node"):
    with target.connect() as connection:
        return connection.scalar(select(DatasyncCursor.change_id).where(DatasyncCursor.name == name))


def test_creates_updates_moves_and_deletes_reach_the_target(source, target):
    first, second, third = add_widgets(source, 3, components=2)
    assert sync(source, target) == 0
    assert snapshot(target) == snapshot(source)

    with writer(source) as session:
        widget = session.get(Widget, first)
        widget.description = "renamed"
        widget.components[0].active = False
        widget.components.append(Component(item_code="new", description="added"))
        session.execute(update(Component).where(Component.widget_uuid == second)
                        .values(widget_uuid=third))          # moved under another widget
        session.delete(session.get(Widget, second))
        session.commit()
    assert sync(source, target) == 0
    assert snapshot(target) == snapshot(source)
    assert set(snapshot(target)) == {first, third}
    ok, detail = applied_once(source, target)
    assert ok, detail
    assert target_cursor(target) == last_change(source)
    history = datasync_history(target)
    with target.connect() as connection:
        users = set(connection.scalars(text("SELECT DISTINCT username FROM poser_change "
                                            "WHERE source = 'datasync'")))
    assert users == {RUNAS} and history


def test_a_target_at_another_migration_is_refused_with_a_clear_message(source, other_scratch,
                                                                      tmp_path, capsys):
    old = _fresh(other_scratch, "a3c5e7f90b12")
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"old": {"type": "poser", "url": old, "runas": RUNAS}})
    assert cli(["datasync", "catch-up", config, "old"]) == 2
    message = capsys.readouterr().err
    assert "is at migration a3c5e7f90b12" in message and "alembic upgrade heads" in message


def burst(source, count):
    """`count` small committed writes: creates, renames, component edits and deletes."""
    keys = []
    with writer(source) as session:
        for i in range(count):
            if i % 10 == 9 and keys:
                session.delete(session.get(Widget, keys.pop(0)))
            elif i % 3 == 0 or not keys:
                widget = Widget(description=f"burst {i}")
                session.add(widget)
                session.flush()
                keys.append(widget.uuid)
            else:
                widget = session.get(Widget, keys[i % len(keys)])
                widget.description = f"burst {i}"
            session.commit()


def daemon_process(config, *extra):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    poser = os.path.join(os.path.dirname(sys.executable), "poser")
    return subprocess.Popen([poser, "datasync", config, *extra],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_kill_9_mid_burst_then_restart_applies_each_change_once(source, target, tmp_path):
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"node": node(target)}, batch_size=7, poll_interval=0.05)
    daemon = daemon_process(config)
    try:
        burst(source, 150)
        deadline = time.monotonic() + 60
        while not target_cursor(target) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert target_cursor(target), daemon.stderr.read1().decode() if daemon.poll() else ""
        burst(source, 150)   # the daemon is busy shipping the first half meanwhile
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
    assert target_cursor(target) < last_change(source)   # killed in the middle
    restarted = daemon_process(config, "--until-idle")
    _, errors = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, errors.decode()
    assert snapshot(target) == snapshot(source)
    ok, detail = applied_once(source, target)
    assert ok, detail


def test_sigterm_finishes_the_batch_and_exits(source, target, tmp_path):
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"node": node(target)}, poll_interval=0.05)
    daemon = daemon_process(config)
    add_widgets(source, 5)
    deadline = time.monotonic() + 30
    while target_cursor(target) != last_change(source) and time.monotonic() < deadline:
        time.sleep(0.05)
    daemon.send_signal(signal.SIGTERM)
    _, errors = daemon.communicate(timeout=30)
    assert daemon.returncode == 0
    assert "datasync stopped" in errors.decode()
    assert snapshot(target) == snapshot(source)


def test_a_target_that_goes_down_is_caught_up_when_it_comes_back(source, target_urls):
    """PostgreSQL target: connections refused (ALLOW_CONNECTIONS false, sessions terminated)
    stand in for a stopped server (the machine's server is shared)."""
    url = target_urls["postgresql"]
    target = get_engine({"sqlalchemy.url": url})
    reset(target)
    name = target.url.database
    admin = get_engine({"sqlalchemy.url": url.rsplit("/", 1)[0] + "/postgres"}) \
        .execution_options(isolation_level="AUTOCOMMIT")
    settings = settings_for(source.url.render_as_string(hide_password=False), {"node": node(target)})
    daemon = Daemon(settings)
    thread = run_in_thread(daemon)

    def wait_for(condition, seconds=30):
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        return condition()

    try:
        add_widgets(source, 3, prefix="before")
        assert wait_for(lambda: target_cursor(target) == last_change(source))
        target.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            connection.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        add_widgets(source, 4, prefix="while down")

        def error_recorded():
            with source.connect() as connection:
                return connection.scalar(select(DatasyncConsumer.last_error_at)) is not None
        assert wait_for(error_recorded)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    try:
        assert wait_for(lambda: target_cursor(target) == last_change(source))
    finally:
        daemon.stop()
        thread.join(30)
    assert snapshot(target) == snapshot(source)
    ok, detail = applied_once(source, target)
    assert ok, detail
    target.dispose()
    admin.dispose()


CUSTOM = "tests.datasync_support:RecordingConsumer"


def test_a_failing_change_is_retried_then_parked_and_the_others_go_on(source):
    RecordingConsumer.received = []
    good, bad = add_widgets(source, 2, components=0)
    with writer(source) as session:
        session.get(Widget, bad).description = "FAIL once"
        session.commit()
        session.get(Widget, bad).description = "FAIL twice"   # waits behind the parked one
        session.get(Widget, good).description = "good again"
        session.commit()
    settings = settings_for(source.url.render_as_string(hide_password=False),
                            {"custom": {"type": CUSTOM}}, max_attempts=2)
    assert Daemon(settings).run(until_idle=True, install_signals=False) == 0
    assert {key for _, key, _ in RecordingConsumer.received} == {good}
    with source.connect() as connection:
        parked = store.parked(connection, "custom")
        statuses = [row["status"] for row in parked]
        assert statuses[0] == "parked" and set(statuses[1:]) <= {"waiting"}
        assert "description starts with FAIL" in parked[0]["error"]
        assert {row["entity_key"] for row in parked} == {bad}

    with writer(source) as session:    # fixed at the source, then Retry on the page
        session.get(Widget, bad).description = "fixed"
        store.request_retry(session.connection(), "custom", parked[0]["change_id"])
        session.commit()
    RecordingConsumer.received = []
    assert Daemon(settings).run(until_idle=True, install_signals=False) == 0
    assert {(key, description) for _, key, description in RecordingConsumer.received} == {(bad, "fixed")}
    with source.connect() as connection:
        assert store.parked(connection, "custom") == []


def test_skip_drops_the_parked_change_and_retries_those_behind_it(source):
    RecordingConsumer.received = []
    (bad,) = add_widgets(source, 1, prefix="FAIL", components=0)
    settings = settings_for(source.url.render_as_string(hide_password=False),
                            {"custom": {"type": CUSTOM}}, max_attempts=1)
    Daemon(settings).run(until_idle=True, install_signals=False)
    with writer(source) as session:
        session.get(Widget, bad).description = "now fine"
        session.commit()
    Daemon(settings).run(until_idle=True, install_signals=False)
    with writer(source) as session:
        parked = store.parked(session.connection(), "custom")
        assert [row["status"] for row in parked] == ["parked", "waiting"]
        store.skip(session.connection(), "custom", parked[0]["change_id"])
        session.commit()
    Daemon(settings).run(until_idle=True, install_signals=False)
    assert [(key, d) for _, key, d in RecordingConsumer.received] == [(bad, "now fine")]
    with source.connect() as connection:
        assert store.parked(connection, "custom") == []


def test_status_exits_non_zero_when_parked_and_prune_keeps_what_a_consumer_needs(
        source, tmp_path, capsys):
    add_widgets(source, 1, prefix="FAIL", components=0)
    url = source.url.render_as_string(hide_password=False)
    config = write_config(tmp_path / "ds.ini", url, {"custom": {"type": CUSTOM}}, max_attempts=1)
    assert cli(["datasync", "status", config]) == 1   # never run
    assert "custom: never run" in capsys.readouterr().out
    assert cli(["datasync", config, "--until-idle"]) == 0
    assert cli(["datasync", "status", config]) == 1
    out = capsys.readouterr().out
    assert "1 parked" in out and "description starts with FAIL" in out
    with writer(source) as session:
        session.execute(DatasyncParked.__table__.delete())
        session.commit()
    assert cli(["datasync", "status", config]) == 0
    assert "-- ok" in capsys.readouterr().out

    with writer(source) as session:
        session.add(DatasyncConsumer(name="behind", kind="test", cursor=0))
        session.commit()
    assert cli(["datasync", "prune", config]) == 0
    assert "Pruned 0 changes" in capsys.readouterr().out   # "behind" has read nothing yet
    with writer(source) as session:
        session.execute(DatasyncConsumer.__table__.delete().where(DatasyncConsumer.name == "behind"))
        session.commit()
    before = last_change(source)
    assert cli(["datasync", "prune", config]) == 0
    assert re.search(r"Pruned [1-9]", capsys.readouterr().out)
    add_widgets(source, 1, components=0)
    assert last_change(source) > before   # ids are never reused after pruning


def test_catch_up_fills_an_empty_node_and_is_idempotent(source, target, tmp_path, capsys):
    add_widgets(source, 30, components=3)
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"node": node(target)})
    assert cli(["datasync", "catch-up", config, "node", "--dry-run"]) in (0, None)
    out = capsys.readouterr().out
    assert "Dry run" in out and re.search(r"widgets\s+30\s+0\s+0\s+0", out)
    assert snapshot(target) == {}

    with Session(target) as session:   # a stray and a stale record on the node
        session.add(Widget(description="stray"))
        session.commit()
    cli(["datasync", "catch-up", config, "node"])
    out = capsys.readouterr().out
    assert re.search(r"widgets\s+30\s+0\s+1\s+0", out), out
    assert snapshot(target) == snapshot(source)
    assert target_cursor(target) == last_change(source)

    cli(["datasync", "catch-up", config, "node"])
    assert re.search(r"widgets\s+0\s+0\s+0\s+30", capsys.readouterr().out)
    add_widgets(source, 2, prefix="later")
    assert sync(source, target) == 0
    assert snapshot(target) == snapshot(source)


def test_two_daemons_on_one_target_still_apply_each_change_once(source, target):
    """The cursor moves by compare-and-set in the data's transaction: the second daemon's
    batch is rolled back and it re-reads the cursor."""
    settings = settings_for(source.url.render_as_string(hide_password=False),
                            {"node": node(target)}, batch_size=5)
    daemons = [Daemon(settings), Daemon(settings)]
    threads = [run_in_thread(d) for d in daemons]
    try:
        for _ in range(4):
            add_widgets(source, 5, components=1)
        deadline = time.monotonic() + 60
        while target_cursor(target) != last_change(source) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for daemon in daemons:
            daemon.stop()
        for thread in threads:
            thread.join(30)
    assert snapshot(target) == snapshot(source)
    ok, detail = applied_once(source, target)
    assert ok, detail


def test_the_drop_folder_script_imports_and_sorts_files(source, tmp_path):
    drop = tmp_path / "drop"
    (drop / "widgets").mkdir(parents=True)  # one folder per table
    drop = drop / "widgets"
    (drop / "good.csv").write_text("type,uuid,description,active,item_code\nwidget,,Dropped,true,\n")
    (drop / "bad.csv").write_text("not the header\n")
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False), {})
    env = dict(os.environ, POSER_BIN=os.path.join(os.path.dirname(sys.executable), "poser"))
    result = subprocess.run([str(REPO / "deploy" / "bin" / "poser-import-drop"), config,
                             str(drop.parent)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "imported widgets/good.csv" in result.stdout
    assert "FAILED widgets/bad.csv" in result.stderr
    assert [p.name.split("-", 1)[1] for p in sorted((drop / "done").glob("*.csv"))] == ["good.csv"]
    errors = list((drop / "failed").glob("*.error"))
    assert len(errors) == 1 and "line 1" in errors[0].read_text()
    assert [r["description"] for r in snapshot(source).values()] == ["Dropped"]


def test_catch_up_follows_a_component_moved_to_a_widget_the_node_lacks(source, target, tmp_path,
                                                                      capsys):
    (first,) = add_widgets(source, 1, components=2)
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"node": node(target)})
    cli(["datasync", "catch-up", config, "node"])
    with writer(source) as session:           # while the node missed it: a move to a new widget
        moved = session.get(Widget, first).components[0]
        newer = Widget(description="newer")
        session.add(newer)
        session.flush()
        moved.widget_uuid = newer.uuid
        session.commit()
    cli(["datasync", "catch-up", config, "node"])
    assert re.search(r"widgets\s+1\s+[01]\s+0\s+[01]\n", capsys.readouterr().out)  # created "newer"
    assert snapshot(target) == snapshot(source)
