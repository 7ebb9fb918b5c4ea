"""Datasync figures: a kill -9 in the middle of a burst, end-to-end lag under concurrent writers,
and catch-up speed into an empty node. Prints a Markdown section (BENCHMARKS.md, by hand).

    .venv/bin/python bench/datasync.py --source postgresql --target postgresql   # full: 10,000 changes
    .venv/bin/python bench/datasync.py --smoke                                      # seconds, prints only

Lag: each of `--clients` threads saves its own widgets as fast as it can for `--seconds`; the
lag of a change is the time from its capture (the trigger's clock, in the writer's transaction)
to the history entry the daemon writes on the target in the transaction that applies it (same
machine, same clock; the target's commit follows within milliseconds).
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.report import load_average  # noqa: E402
from bench.scratch import REPO, Scratch, migrate  # noqa: E402
from poser_web.auth.passwords import hash_password  # noqa: E402
from poser_web.db.engine import get_engine
from poser_web.models import Change, DatasyncChange, DatasyncCursor, User, new_uuid
from poser_web.tables.widgets.models import Component, Widget

NOTE = re.compile(r"\(datasync change (\d+)\)$")


def databases(source_kind, target_kind, label):
    source, target = Scratch(source_kind, f"{label}_src"), Scratch(target_kind, f"{label}_dst")
    for scratch in (source, target):
        migrate(scratch.url)
    engine = get_engine({"sqlalchemy.url": target.url})
    with Session(engine) as session:
        session.add(User(username="sync", password_hash=hash_password("x" * 16)))
        session.commit()
    engine.dispose()
    return source, target


def config(source, target, batch_size=500):
    path = Path(tempfile.mkdtemp()) / "datasync.ini"
    path.write_text(f"""[app:main]
use = egg:poser-web
sqlalchemy.url = {source.url}
poser.secret = development-only-secret
poser.development = true

[datasync]
consumers = node
batch_size = {batch_size}
poll_interval = 0.2
backoff_max = 2

[datasync:node]
type = poser
url = {target.url}
runas = sync
""")
    return str(path)


def daemon(config_path, *extra):
    poser = Path(sys.executable).with_name("poser")
    return subprocess.Popen([str(poser), "datasync", config_path, *extra], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cursor(engine):
    with engine.connect() as connection:
        return connection.scalar(select(DatasyncCursor.change_id)) or 0


def last(engine):
    with engine.connect() as connection:
        return connection.scalar(select(DatasyncChange.id).order_by(DatasyncChange.id.desc())
                                 .limit(1)) or 0


def snapshot(engine):
    from poser_web.datasync.entities import entity

    with engine.connect() as connection:
        return entity("widget").load(connection, list(connection.scalars(select(Widget.uuid))))


def writer(engine):
    return Session(engine.execution_options(poser_write=True))


def write_burst(src, changes, per_transaction=10):
    """`changes` saves, 10 a transaction (a busy but plain writer): a quarter new widgets, the
    rest edits of the first 200. Yields the count written after each commit."""
    keys, written = [], 0
    with writer(src) as session:
        while written < changes:
            for _ in range(per_transaction):
                if len(keys) < 200 or written % 4 == 0:
                    widget = Widget(description=f"burst {written}")
                    session.add(widget)
                    session.flush()
                    keys.append(widget.uuid)
                else:
                    session.get(Widget, keys[written % len(keys)]).description = f"burst {written}"
                written += 1
            session.commit()
            yield written


def crash_run(kind_source, kind_target, changes):
    source, target = databases(kind_source, kind_target, "crash")
    src, dst = get_engine({"sqlalchemy.url": source.url}), get_engine({"sqlalchemy.url": target.url})
    try:
        path = config(source, target)
        process = daemon(path)
        started = time.monotonic()
        killed_at = None
        for written in write_burst(src, changes):
            if killed_at is None and written >= changes // 2:
                deadline = time.monotonic() + 30
                while not cursor(dst) and time.monotonic() < deadline:
                    time.sleep(0.05)   # the daemon is still starting: kill it once it works
                process.send_signal(signal.SIGKILL)
                process.wait()
                killed_at = cursor(dst)
                process = daemon(path)
        write_seconds = time.monotonic() - started
        total = last(src)
        while cursor(dst) < total:
            time.sleep(0.05)
        drained = time.monotonic() - started
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        equal = snapshot(dst) == snapshot(src)
        with dst.connect() as connection:
            notes = Counter((int(NOTE.search(s).group(1)), key) for s, key in connection.execute(
                select(Change.summary, Change.entity_uuid).where(Change.source == "datasync"))
                if NOTE.search(s))
        with src.connect() as connection:
            ids = set(connection.scalars(select(DatasyncChange.id)))
        # Several changes of one record in a batch are applied (and noted) once, as its last.
        once = all(n == 1 for n in notes.values()) and {i for i, _ in notes} <= ids
        return {"changes": total, "killed_at": killed_at, "write_s": write_seconds,
                "drained_s": drained, "equal": equal, "once": once}
    finally:
        src.dispose(), dst.dispose()
        source.drop(), target.drop()


def lag_run(kind_source, kind_target, clients, seconds):
    source, target = databases(kind_source, kind_target, "lag")
    src, dst = get_engine({"sqlalchemy.url": source.url}), get_engine({"sqlalchemy.url": target.url})
    try:
        path = config(source, target)
        process = daemon(path)
        with writer(src) as session:   # wait until the daemon has started and shipped a probe
            session.add(Widget(description="probe"))
            session.commit()
        probe = last(src)
        while cursor(dst) < probe:
            time.sleep(0.05)
        stop = time.monotonic() + seconds
        saves = Counter()

        def client(number):
            with writer(src) as session:
                widgets = [Widget(description=f"client {number} widget {i}") for i in range(5)]
                session.add_all(widgets)
                session.commit()
                i = 0
                while time.monotonic() < stop:
                    widgets[i % 5].description = f"client {number} save {i}"
                    session.commit()
                    saves[number] += 1
                    i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = last(src)
        deadline = time.monotonic() + 120
        while cursor(dst) < total and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        with src.connect() as connection:
            captured = dict(connection.execute(select(DatasyncChange.id, DatasyncChange.changed_at)
                                               .where(DatasyncChange.id > probe)).all())
        lags = []
        with dst.connect() as connection:
            for summary, applied in connection.execute(select(Change.summary, Change.changed_at)
                                                       .where(Change.source == "datasync")):
                match = NOTE.search(summary)
                if match and int(match.group(1)) in captured:
                    lags.append((applied - captured[int(match.group(1))]).total_seconds())
        lags.sort()
        return {"saves": sum(saves.values()), "saves_per_s": sum(saves.values()) / seconds,
                "changes": len(lags), "p50": statistics.median(lags),
                "p95": lags[int(len(lags) * 0.95)], "max": lags[-1]}
    finally:
        src.dispose(), dst.dispose()
        source.drop(), target.drop()




def drain_run(kind_source, kind_target, changes):
    """The daemon's apply rate as an operator sees it: `changes` wait in the queue, then
    `poser datasync` starts as a process; timed until the target's cursor reaches the last."""
    source, target = databases(kind_source, kind_target, "drain")
    src = get_engine({"sqlalchemy.url": source.url})
    try:
        for _ in write_burst(src, changes):
            pass
        return drain(source, target)
    finally:
        src.dispose()
        source.drop(), target.drop()


def cpu_seconds(pid):
    """User + system CPU seconds of a running process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def drain(source, target):
    """Start `poser datasync` on a queue that waits in `source`; time it until `target`'s
    cursor reaches the last change. Its CPU seconds too: less sensitive to a busy machine."""
    src, dst = get_engine({"sqlalchemy.url": source.url}), get_engine({"sqlalchemy.url": target.url})
    try:
        total = last(src)
        process = daemon(config(source, target, batch_size=2000))
        started = time.monotonic()
        first = first_cursor = first_cpu = None   # the first batch applied: the process has started
        while (now_at := cursor(dst)) < total:
            if first is None and now_at:
                first, first_cursor, first_cpu = time.monotonic(), now_at, cpu_seconds(process.pid)
            time.sleep(0.02)
        done, done_cpu = time.monotonic(), cpu_seconds(process.pid)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        equal = snapshot(dst) == snapshot(src)
        after = (total - first_cursor) / (done - first) if first and done > first else None
        cpu = (done_cpu - first_cpu) / (total - first_cursor) * 10_000 \
            if first and None not in (done_cpu, first_cpu) and total > first_cursor else None
        return {"changes": total, "seconds": done - started, "startup_s": (first or done) - started,
                "per_s": total / (done - started), "per_s_after_start": after, "equal": equal,
                "cpu_s": done_cpu, "cpu_per_10k": cpu}
    finally:
        src.dispose(), dst.dispose()


def catch_up_run(kind_source, kind_target, widgets):
    source, target = databases(kind_source, kind_target, "catchup")
    src = get_engine({"sqlalchemy.url": source.url})
    try:
        with src.begin() as connection:
            for start in range(0, widgets, 10_000):
                rows = [{"uuid": new_uuid(), "description": f"widget {i}", "active": True,
                         "version": 1} for i in range(start, min(widgets, start + 10_000))]
                connection.execute(insert(Widget.__table__), rows)
                connection.execute(insert(Component.__table__), [
                    {"uuid": new_uuid(), "widget_uuid": r["uuid"], "item_code": f"{n}",
                     "description": "part", "active": True} for r in rows for n in range(3)])
        # As an operator runs it: `poser datasync catch-up CONFIG node`, a process, timed whole.
        poser = Path(sys.executable).with_name("poser")
        started = time.monotonic()
        done = subprocess.run([str(poser), "datasync", "catch-up", config(source, target), "node"],
                              cwd=REPO, capture_output=True, text=True)
        seconds = time.monotonic() - started
        if done.returncode:
            raise RuntimeError(f"catch-up failed: {done.stderr[-2000:]}")
        dst = get_engine({"sqlalchemy.url": target.url})
        equal = snapshot(dst) == snapshot(src)
        dst.dispose()
        return {"widgets": widgets, "seconds": seconds, "per_s": widgets / seconds,
                "changes_per_s": widgets * 4 / seconds, "equal": equal}
    finally:
        src.dispose()
        source.drop(), target.drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--target", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--widgets", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script runs")
    parser.add_argument("--drain", type=int, default=50_000, help="changes queued before the daemon starts")
    parser.add_argument("--only", choices=("crash", "lag", "drain", "catch-up"), help="one measurement")
    args = parser.parse_args()
    if args.smoke:
        args.changes, args.clients, args.seconds, args.widgets, args.drain = 300, 4, 2, 2_000, 1_000
    print(f"### {args.source} → {args.target}\n", flush=True)
    print(f"- load average (1/5/15 min) before: {load_average()}", flush=True)
    crash = catch = {"equal": True, "once": True}
    if args.only in (None, "crash"):
        crash = crash_run(args.source, args.target, args.changes)
        print_crash(crash)
    if args.only in (None, "lag"):
        lag = lag_run(args.source, args.target, args.clients, args.seconds)
        print_lag(args, lag)
    drain = {"equal": True}
    if args.only in (None, "drain"):
        drain = drain_run(args.source, args.target, args.drain)
        print_drain(drain)
    if args.only in (None, "catch-up"):
        catch = catch_up_run(args.source, args.target, args.widgets)
        print_catch(catch)
    print(f"- load average (1/5/15 min) after: {load_average()}", flush=True)
    ok = crash["equal"] and crash["once"] and catch["equal"] and drain["equal"]
    return 0 if ok else 1


def print_crash(crash):
    print(f"- kill -9 mid-burst: {crash['changes']:,} changes captured, daemon killed at cursor "
          f"{crash['killed_at']:,} and restarted; writes took {crash['write_s']:.1f} s, target "
          f"caught up {crash['drained_s'] - crash['write_s']:.1f} s after the last write; target "
          f"equals source: {crash['equal']}; no change applied twice: {crash['once']}", flush=True)


def print_lag(args, lag):
    print(f"- lag, {args.clients} writing clients for {args.seconds:.0f} s: {lag['saves']:,} saves "
          f"({lag['saves_per_s']:,.0f}/s), {lag['changes']:,} changes; capture → applied on the "
          f"target p50 {lag['p50'] * 1000:.0f} ms, p95 {lag['p95'] * 1000:.0f} ms, "
          f"max {lag['max'] * 1000:.0f} ms", flush=True)


def print_drain(drain):
    cpu = drain.get("cpu_per_10k")
    print(f"- daemon drain: {drain['changes']:,} queued changes applied by `poser datasync` (a process) in "
          f"{drain['seconds']:.1f} s = {drain['per_s']:,.0f} changes/s including start-up; "
          + (f"{drain['per_s_after_start']:,.0f}/s after its first batch " if drain['per_s_after_start'] else "")
          + f"(first batch applied {drain['startup_s']:.1f} s after start); "
          + (f"daemon CPU {cpu:.2f} s per 10,000 changes after its first batch "
             f"({drain['cpu_s']:.1f} s in all); " if cpu is not None else "")
          + f"target equals source: {drain['equal']}", flush=True)


def print_catch(catch):
    print(f"- `poser datasync catch-up` (a process) into an empty node: {catch['widgets']:,} widgets "
          f"(3 components each) in {catch['seconds']:.1f} s = {catch['per_s']:,.0f} widgets/s "
          f"({catch['changes_per_s']:,.0f} records/s); equal: {catch['equal']}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
