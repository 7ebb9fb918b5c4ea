"""`poser datasync`: the poser consumer into SQLite and PostgreSQL targets, exactly once through
crashes (kill -9) and target outages; parking, retry and skip; catch-up; status; prune.

Sources and targets hold the test-only Specimen tables too (a declared table with child rows
and a foreign key to widgets): every captured entity is shipped, in foreign-key order."""
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from poser_web.cli import main as cli
from poser_web.datasync import store
from poser_web.datasync.capture import CHANNEL
from poser_web.datasync.daemon import Daemon
from poser_web.db.engine import get_engine
from poser_web.models import DatasyncChange, DatasyncConsumer, DatasyncCursor, DatasyncParked
from poser_web.tables.widgets.models import Component, Widget
from tests.databases import REPO, ScratchDatabases, migrate
from tests.datasync_support import (
    RUNAS,
    RecordingConsumer,
    add_sample_tables,
    add_widgets,
    datasync_history,
    entries_per_record,
    everything,
    fresh,
    history_problems,
    last_change,
    reset,
    run_in_thread,
    settings_for,
    snapshot,
    write_config,
    writer,
)
from tests.sample.models import Size, Specimen, SpecimenPart
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def other_scratch(db_kind, tmp_path_factory):
    other = ScratchDatabases("postgresql" if db_kind == "sqlite" else "sqlite",
                             tmp_path_factory.mktemp("other"))
    yield other
    other.drop_all()


@pytest.fixture(scope="module")
def source_url(scratch_databases):
    return fresh(scratch_databases)


@pytest.fixture(scope="module")
def target_urls(scratch_databases, other_scratch, db_kind):
    same = fresh(scratch_databases)
    other = fresh(other_scratch)
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


def assert_synced(source, target):
    """The target holds what the source holds, each record's changes noted once at most, and
    no history entry that changed nothing."""
    assert everything(target) == everything(source)
    assert history_problems(source, target) == []


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
    assert_synced(source, target)
    assert set(snapshot(target)) == {first, third}
    assert target_cursor(target) == last_change(source)
    history = datasync_history(target)
    with target.connect() as connection:
        users = set(connection.scalars(text("SELECT DISTINCT username FROM poser_change "
                                            "WHERE source = 'datasync'")))
    assert users == {RUNAS} and history


def test_a_target_at_another_migration_is_refused_with_a_clear_message(source, other_scratch,
                                                                      tmp_path, capsys):
    old = fresh(other_scratch, "a3c5e7f90b12")
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
    assert_synced(source, target)


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
    assert_synced(source, target)
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
    assert_synced(source, target)


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
                            env=env, capture_output=True, check=False, text=True, timeout=120)
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


# -- any captured table, in foreign-key order ---------------------------------------------------

def mixed_burst(source, count, start=0):
    """`count` committed saves of widgets and specimens (tests/sample): specimens referring to
    widgets made in the same burst, parts edited, and saves whose specimen change comes before
    the widget it ends up referring to (a later change id)."""
    with writer(source) as session:
        widgets = list(session.scalars(select(Widget.uuid)))
        specimens = list(session.scalars(select(Specimen.uuid)))
        for i in range(start, start + count):
            kind = i % 6
            if kind == 0 or not widgets:
                widget = Widget(description=f"mixed {i}",
                                components=[Component(item_code=f"{i}", description="c")])
                session.add(widget)
                session.flush()
                widgets.append(widget.uuid)
            elif kind == 1 or not specimens:
                specimen = Specimen(name=f"specimen {i}", widget_uuid=widgets[-1], size=Size.small,
                                    weight=Decimal("1.250"),
                                    parts=[SpecimenPart(code=f"{i}a"), SpecimenPart(code=f"{i}b")])
                session.add(specimen)
                session.flush()
                specimens.append(specimen.uuid)
            elif kind == 2:   # the specimen's change first, then the new widget it refers to
                specimen = session.get(Specimen, specimens[i % len(specimens)])
                specimen.name = f"moved {i}"
                session.flush()
                widget = Widget(description=f"new home {i}")
                session.add(widget)
                session.flush()
                widgets.append(widget.uuid)
                specimen.widget_uuid = widget.uuid
            elif kind == 3:
                specimen = session.get(Specimen, specimens[i % len(specimens)])
                specimen.parts[0].count = i
                specimen.parts.append(SpecimenPart(code=f"{i}c"))
            elif kind == 4 and len(specimens) > 10:
                session.delete(session.get(Specimen, specimens.pop(0)))
            else:
                session.get(Widget, widgets[i % len(widgets)]).description = f"renamed {i}"
            session.commit()


def test_specimens_and_widgets_reach_the_target_through_a_kill_9(source, target, tmp_path):
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"node": node(target)}, batch_size=7, poll_interval=0.05)
    daemon = daemon_process(config)
    try:
        mixed_burst(source, 120)
        deadline = time.monotonic() + 60
        while not target_cursor(target) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert target_cursor(target), daemon.stderr.read1().decode() if daemon.poll() else ""
        mixed_burst(source, 120, start=120)
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
    assert target_cursor(target) < last_change(source)   # killed in the middle
    restarted = daemon_process(config, "--until-idle")
    _, errors = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, errors.decode()
    assert_synced(source, target)
    assert len(snapshot(target, "test_specimen")) >= 10
    with source.connect() as connection:
        changes = Counter(connection.execute(select(DatasyncChange.entity,
                                                    DatasyncChange.entity_key)).all())
    entries = entries_per_record(target)
    assert all(0 < entries[record] <= n for record, n in changes.items()
               if snapshot_has(target, record)), (entries, changes)


def snapshot_has(target, record):
    entity, key = record
    return key in snapshot(target, entity)


def first_synced(source, target, **numbers):
    (widget,) = add_widgets(source, 1, components=0)
    with writer(source) as session:
        specimen = Specimen(name="refers", widget_uuid=widget, parts=[SpecimenPart(code="p")])
        session.add(specimen)
        session.commit()
        key = specimen.uuid
    assert sync(source, target, **numbers) == 0
    return widget, key


@pytest.mark.parametrize("batch_size", [1, 500])
def test_a_record_referring_to_a_later_change_gets_it_shipped_first(source, target, batch_size):
    _, key = first_synced(source, target)
    before = entries_per_record(target)
    with writer(source) as session:   # the specimen's change id comes before the widget's
        specimen = session.get(Specimen, key)
        specimen.name = "refers to a newer widget"
        session.flush()
        widget = Widget(description="newer")
        session.add(widget)
        session.flush()
        specimen.widget_uuid = widget.uuid
        session.commit()
        newer = widget.uuid
    assert sync(source, target, batch_size=batch_size) == 0
    with source.connect() as connection:
        assert not store.parked(connection)
    assert_synced(source, target)
    entries = entries_per_record(target) - before
    assert entries == Counter({("test_specimen", key): 1, ("widget", newer): 1})


@pytest.mark.parametrize("batch_size", [1, 500])
def test_deletes_go_referencing_records_first(source, target, batch_size):
    widget, key = first_synced(source, target)
    with writer(source) as session:   # the widget's change id comes before the specimen's
        session.get(Widget, widget).description = "about to go"
        session.flush()
        session.delete(session.get(Specimen, key))
        session.flush()
        session.delete(session.get(Widget, widget))
        session.commit()
    assert sync(source, target, batch_size=batch_size) == 0
    with source.connect() as connection:
        assert not store.parked(connection)
    assert_synced(source, target)
    assert snapshot(target) == {} and snapshot(target, "test_specimen") == {}


def test_a_batch_is_written_in_a_handful_of_statements(source, target):
    """Batched reads and writes: a batch of 300 saved widgets costs the target a few dozen
    statements, not a few per record."""
    add_widgets(source, 300, components=2)
    url = target.url.render_as_string(hide_password=False)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if conn.engine.url.render_as_string(hide_password=False) == url:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        assert sync(source, target, batch_size=1000) == 0
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert_synced(source, target)
    assert len(snapshot(target)) == 300
    assert len(statements) < 60, statements


def test_a_change_arrives_long_before_the_poll_interval(source, target, monkeypatch):
    """SQLite: the daemon notices another connection's commit (PRAGMA data_version); PostgreSQL:
    the NOTIFY wakes it. With an hour's poll interval, a change written while the daemon waits
    arrives all the same (within the test's deadline: a minute)."""
    from poser_web.datasync import daemon as daemon_module

    waits = []   # "in" when the daemon starts waiting, "out" when it wakes
    original = daemon_module.Waiter.wait

    def counted(self, should_stop):
        waits.append("in")
        original(self, should_stop)
        waits.append("out")

    monkeypatch.setattr(daemon_module.Waiter, "wait", counted)
    settings = settings_for(source.url.render_as_string(hide_password=False),
                            {"node": node(target)}, poll_interval=3600)
    daemon = Daemon(settings)
    add_widgets(source, 1, components=0)
    thread = run_in_thread(daemon)
    try:
        wait_until(lambda: target_cursor(target) == last_change(source), "the first change")
        wait_until(lambda: waits[-1:] == ["in"], "the daemon to wait, idle")
        add_widgets(source, 1, components=0)
        wait_until(lambda: target_cursor(target) == last_change(source), "the change written "
                   "while the daemon waited, an hour before its next poll", seconds=60)
    finally:
        daemon.stop()
        if source.dialect.name == "postgresql":  # end its wait for a NOTIFY
            with source.begin() as connection:
                connection.execute(text(f"NOTIFY {CHANNEL}"))
        thread.join(60)
    assert not thread.is_alive()
    assert_synced(source, target)


def test_status_fails_while_the_daemon_refuses_its_target(source, other_scratch, tmp_path,
                                                          capsys):
    old = fresh(other_scratch, "a3c5e7f90b12")
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"old": {"type": "poser", "url": old, "runas": RUNAS}})
    add_widgets(source, 1)
    assert cli(["datasync", config, "--until-idle"]) == 2
    assert cli(["datasync", "status", config]) == 1
    out = capsys.readouterr().out
    assert "refused" in out and "is at migration a3c5e7f90b12" in out
    migrate(old)               # deploy step 3 done on the target too
    add_sample_tables(old)
    reset(get_engine({"sqlalchemy.url": old}))
    assert cli(["datasync", config, "--until-idle"]) == 0
    assert cli(["datasync", "status", config]) == 0
    assert "-- ok" in capsys.readouterr().out


def test_catch_up_brings_every_entity_and_deletes_referencing_records_first(
        source, target, tmp_path, capsys):
    mixed_burst(source, 30)
    with writer(target) as session:   # strays on the node: a specimen on a stray widget
        stray = Widget(description="stray")
        session.add(stray)
        session.flush()
        session.add(Specimen(name="stray", widget_uuid=stray.uuid))
        session.commit()
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"node": node(target)})
    cli(["datasync", "catch-up", config, "node"])
    out = capsys.readouterr().out
    assert re.search(r"test_specimens\s+\d+\s+0\s+1\s+0", out), out
    assert everything(target) == everything(source)
    cli(["datasync", "catch-up", config, "node"])
    out = capsys.readouterr().out
    assert re.search(r"widgets\s+0\s+0\s+0\s+\d+", out) and re.search(
        r"test_specimens\s+0\s+0\s+0\s+\d+", out), out


def test_every_column_type_in_batches_of_hundreds(source, target):
    """Bulk inserts and updates (a statement for hundreds of rows) keep every type: text,
    numbers, Numeric, booleans, dates, date-times, choices, an Enum, a foreign key, NULLs."""
    (widget,) = add_widgets(source, 1, components=0)
    with writer(source) as session:
        for i in range(600):
            session.add(Specimen(
                name=f"typed {i}", notes=None if i % 3 else f"note {i}", quantity=i - 300,
                weight=Decimal(i) / 8, active=i % 2 == 0, received=date(2026, 1, 1 + i % 28),
                checked_at=datetime(2026, 3, 1, i % 24, i % 60, 30, 125000),
                color=("red", "green", None)[i % 3], size=list(Size)[i % 3],
                widget_uuid=widget if i % 2 else None,
                parts=[SpecimenPart(code=f"{i}", count=i if i % 2 else None)]))
        session.commit()
    assert sync(source, target, batch_size=1000) == 0
    assert_synced(source, target)
    with writer(source) as session:
        for specimen in session.scalars(select(Specimen)):
            specimen.weight = None if specimen.weight else Decimal("0.125")
            specimen.size = None
            specimen.active = not specimen.active
            specimen.parts[0].code += "!"
        session.commit()
    assert sync(source, target, batch_size=1000) == 0
    assert_synced(source, target)


def test_the_consumers_own_writes_are_one_change_per_record_on_the_target(source, target):
    """A node that receives changes captures them too (it may feed others): once per record."""
    keys = add_widgets(source, 3, components=2)
    with writer(source) as session:
        for key in keys:
            widget = session.get(Widget, key)
            widget.description += " again"
            widget.components[0].description = "changed"
            widget.components.append(Component(item_code="new", description="new"))
        session.commit()
    assert sync(source, target) == 0
    with target.connect() as connection:
        logged = connection.execute(select(DatasyncChange.entity, DatasyncChange.entity_key)).all()
    assert sorted(logged) == sorted(("widget", key) for key in keys)


def test_a_config_including_a_missing_package_is_a_clear_error(source, tmp_path, capsys):
    """The daemon maps the tables of poser.includes: one it cannot import is said plainly."""
    config = write_config(tmp_path / "ds.ini", source.url.render_as_string(hide_password=False),
                          {"custom": {"type": CUSTOM}})
    Path(config).write_text(Path(config).read_text().replace("tests.sample.views",
                                                             "no_such_package.views"))
    assert cli(["datasync", "status", config]) == 2
    assert "poser.includes names no_such_package.views" in capsys.readouterr().err


def test_each_change_is_applied_once_and_the_cursor_moves_past_it(source):
    """Stepped by hand, a bounded number of times: a worker that re-read the last applied
    change would never be idle (`run(until_idle=True)` would spin for ever); here it fails."""
    RecordingConsumer.received = []
    add_widgets(source, 5, components=0)
    with source.connect() as connection:
        last = store.last_change_id(connection)
    settings = settings_for(source.url.render_as_string(hide_password=False),
                            {"custom": {"type": CUSTOM}}, batch_size=2)
    daemon = Daemon(settings)
    (worker,) = daemon.workers
    steps = 0
    while worker.step():
        steps += 1
        assert steps <= 3, "5 changes in batches of 2 take 3 steps; the worker keeps finding work"
    ids = [change_id for change_id, _, _ in RecordingConsumer.received]
    assert len(ids) == 5 and ids == sorted(set(ids))  # each change once, in order
    assert worker.cursor == last
    with source.connect() as connection:
        assert connection.scalar(select(DatasyncConsumer.cursor).where(
            DatasyncConsumer.name == "custom")) == last
    daemon.source.dispose()
