"""How fast `poser import` is: rows/s on SQLite (and PostgreSQL when reachable).

    /work/venv/bin/python bench/import_speed.py              # 25,000 widgets x 3 components
    /work/venv/bin/python bench/import_speed.py --widgets 2500 --components 3
    /work/venv/bin/python bench/import_speed.py --rows 4000000 --databases sqlite  # 1M widgets

For each database: a scratch database migrated with `alembic upgrade heads` (tests/databases.py's
`migrate`), a CSV file of W widgets with C components each (W x (1 + C) rows, uuids filled in as
an export has them), then three timed imports through `run_import` (reading, checking, writing,
committing; history rows included):

1. into the empty database (everything created);
2. the same file again (everything unchanged: nothing written);
3. an update run: every widget's description and one component per widget changed;

and a timed export. Prints rows/s and the peak RSS of each (the process's peak is reset between
runs, bench/memory.py). Targets: >= 30,000 rows/s, RSS < 250 MB at 1,000,000 widgets.
Scratch databases: a temp SQLite file; `bench_import_<pid>` on
postgresql+psycopg://postgres@127.0.0.1:5432 (BENCH_PG_URL overrides), dropped afterwards.
"""
import argparse
import csv
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from poser_web.db.engine import get_engine  # noqa: E402
from poser_web.models import Change  # noqa: E402
from poser_web.tables.widgets.models import Component, Widget  # noqa: E402
from poser_web.tables.widgets.views import WidgetView  # noqa: E402
from poser_web.transfer import FileLayout, run_export, run_import  # noqa: E402
from tests.databases import migrate  # noqa: E402
from bench.memory import peak_mb, reset_peak, widgets_for  # noqa: E402
from bench.report import python_speed_ms  # noqa: E402

WIDGETS = WidgetView.describe()
HEADER = FileLayout(WIDGETS).header
PG_SERVER_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
WORDS = ("sprocket gear flange widget bolt nut washer spring lever cam shaft pulley bracket "
         "hinge valve gasket rotor stator coil relay").split()


def write_file(path, widgets, components, seed=1, changed=False):
    """W widgets x C components; `changed` alters every widget and its first component."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as stream:
        out = csv.writer(stream, lineterminator="\n")
        out.writerow(HEADER)
        for w in range(widgets):
            description = " ".join(rng.choice(WORDS) for _ in range(3)) + f" {w}"
            w_uuid = uuid.UUID(int=rng.getrandbits(128)).hex
            out.writerow(("widget", w_uuid, description + (" v2" if changed else ""),
                          "true" if w % 7 else "false", ""))
            for c in range(components):
                c_uuid = uuid.UUID(int=rng.getrandbits(128)).hex
                c_description = f"{rng.choice(WORDS)} part {c}"
                if changed and c == 0:
                    c_description += " (revised)"
                out.writerow(("component", c_uuid, c_description, "true", f"IC{w:06d}-{c:02d}"))
    return widgets * (1 + components)


def counts(engine):
    with engine.connect() as connection:
        return tuple(connection.scalar(select(func.count()).select_from(table))
                     for table in (Widget.__table__, Component.__table__, Change.__table__))


def pg_reachable():
    try:
        engine = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def bench(kind, url, first, second, rows):
    migrate(url)
    engine = get_engine({"sqlalchemy.url": url})
    database = make_url(url).database if kind == "PostgreSQL" else None
    results = []
    try:
        for label, path, expect in (("import into empty database", first, "created"),
                                    ("re-import, all unchanged", first, "unchanged"),
                                    ("update run (every widget changed)", second, "updated")):
            cpu, server = time.process_time(), _server_cpu(database)
            reset_peak()
            report = run_import(engine, WIDGETS, path, runas=None)
            cpu = time.process_time() - cpu
            server = _server_cpu(database) - server
            records = report.tally.records
            assert getattr(records, expect) == records.created + records.updated + \
                records.unchanged, report.table()
            results.append((label, rows, report.seconds, cpu, peak_mb(), server))
        w, c, ch = counts(engine)
        started, cpu, server = time.perf_counter(), time.process_time(), _server_cpu(database)
        reset_peak()
        exported = Path(tempfile.gettempdir()) / f"bench_import_export_{os.getpid()}.csv"
        try:
            run_export(engine, WIDGETS, str(exported))
        finally:
            exported.unlink(missing_ok=True)
        results.append(("export", rows, time.perf_counter() - started, time.process_time() - cpu,
                        peak_mb(), _server_cpu(database) - server))
    finally:
        engine.dispose()
    print(f"\n## {kind}: {w:,} widgets, {c:,} components, {ch:,} history rows after the runs\n")
    print("| run | rows | seconds | rows/s | CPU s (this process) | rows per CPU s | "
          "peak RSS MB | server CPU s |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, count, seconds, cpu, rss, server in results:
        shown = f"{server:.2f}" if database else "-"
        print(f"| {label} | {count:,} | {seconds:.2f} | {count / seconds:,.0f} | {cpu:.2f} | "
              f"{count / cpu:,.0f} | {rss:.0f} | {shown} |")
    return results


def _server_cpu(database):
    """PostgreSQL: its backends' CPU seconds for `database` so far (bench/server_cpu.py)."""
    from bench.server_cpu import backend_cpu

    return backend_cpu(database) if database else 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--widgets", type=int, default=25_000)
    parser.add_argument("--rows", type=int, help="file rows instead of --widgets (4000000: 1M widgets)")
    parser.add_argument("--components", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    args.widgets = widgets_for(args)
    kinds = args.databases.split(",")
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        first, second = os.path.join(tmp, "widgets.csv"), os.path.join(tmp, "widgets-v2.csv")
        rows = write_file(first, args.widgets, args.components)
        write_file(second, args.widgets, args.components, changed=True)
        print(f"# poser import speed: {rows:,} rows ({args.widgets:,} widgets x "
              f"{args.components} components), {os.path.getsize(first) / 1e6:.1f} MB")
        print(f"\n{os.cpu_count()} CPUs, Python speed {python_speed_ms():.1f} ms (bench/report.py), "
              f"load average {os.getloadavg()[0]:.1f} at the start: "
              "seconds are wall-clock time (reading, checking, writing, committing); the CPU "
              "time is this process's only (SQLite works in it, a PostgreSQL server does not)")
        target_met = True
        if "sqlite" in kinds:
            url = f"sqlite:///{os.path.join(tmp, 'bench_import.sqlite')}"
            results = bench("SQLite", url, first, second, rows)
            target_met = all(count / seconds >= 30_000 for _, count, seconds, *_ in results[:3])
        if "postgresql" in kinds:
            if not pg_reachable():
                print(f"\nPostgreSQL not reachable at {PG_SERVER_URL}: skipped")
            else:
                name = f"bench_import_{os.getpid()}"
                server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
                with server.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                try:
                    url = make_url(PG_SERVER_URL).set(database=name).render_as_string(
                        hide_password=False)
                    bench("PostgreSQL", url, first, second, rows)
                finally:
                    with server.connect() as connection:
                        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    server.dispose()
        if "sqlite" in kinds:
            print(f"\nSQLite target (>= 30,000 rows/s for each import): "
                  f"{'met' if target_met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
