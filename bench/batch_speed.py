"""How fast and how lean widget import batches are, beside `poser import`.

    .venv/bin/python bench/batch_speed.py                       # 25,000 widgets x 3 components
    .venv/bin/python bench/batch_speed.py --widgets 100000 --databases sqlite
    .venv/bin/python bench/batch_speed.py --rows 4000000 --databases sqlite --new-only  # 1M widgets

For each database, on scratch databases migrated with `alembic upgrade heads`, each step in a
child process of its own (so its peak RSS is its own):

1. `poser import` of the file into an empty database (run_import);
2. populate a batch from the same file into another empty database (every row new);
3. execute that batch (creates everything, history included);
4. populate a second batch from the file changed (every widget and a component per widget);
5. execute it (`--new-only` leaves out 4 and 5).

Prints rows/s (file rows: widgets + components) and peak RSS per step. Goals: >= 30,000 rows/s
and RSS < 250 MB at 1,000,000 widgets.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def step(args):
    """One measured step in this (child) process; prints a JSON line."""
    from poser_web.batch import runner
    from poser_web.batch.store import FileStore
    from poser_web.batch.table_import import TableImportHandler
    from poser_web.db.engine import WRITE_OPTION, get_engine
    from poser_web.tables.widgets.views import WidgetView
    from poser_web.transfer import run_import

    widgets = WidgetView.describe()
    engine = get_engine({"sqlalchemy.url": args.url})
    store = FileStore(args.store)
    started = time.perf_counter()
    result = {}
    if args.step == "import":
        report = run_import(engine, widgets, args.file)
        result["rows"] = report.rows
    elif args.step == "populate":
        handler = TableImportHandler(widgets)
        with engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                uuid, _ = runner.create_from_file(connection, handler, args.file, args.file,
                                                  None, store)
            failure = runner.populate(connection, handler, uuid, store, commit=connection.commit)
            assert failure is None, failure
            result["rows"] = connection.exec_driver_sql(
                "SELECT progress FROM poser_batch WHERE uuid = ?" if engine.dialect.name == "sqlite"
                else "SELECT progress FROM poser_batch WHERE uuid = %s", (uuid,)).scalar()
            result["uuid"] = uuid
    elif args.step == "execute":
        handler = TableImportHandler(widgets)
        with engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                handler.execute(connection, args.batch, "bench")
        result["rows"] = args.rows
    result["seconds"] = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["rss_mb"] = usage.ru_maxrss / 1024
    result["cpu"] = usage.ru_utime + usage.ru_stime
    if engine.dialect.name == "postgresql":  # this step's backends, still connected
        from bench.server_cpu import backend_cpu

        result["server_cpu"] = backend_cpu(engine.url.database)
    engine.dispose()
    print(json.dumps(result))


def run_step(**options):
    command = [sys.executable, __file__, "--step", options.pop("step")]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def bench(kind, make_url, drop, files, store, rows, new_only=False):
    from tests.databases import migrate

    results = []
    urls = [make_url(label) for label in ("import", "batch")]
    try:
        for url in urls:
            migrate(url)
        result = run_step(step="import", url=urls[0], file=files[0], store=store)
        results.append(("poser import into an empty database", result))
        for label, path in (("new", files[0]), ("changed", files[1]))[:1 if new_only else 2]:
            populated = run_step(step="populate", url=urls[1], file=path, store=store)
            results.append((f"populate batch ({label} rows)", populated))
            executed = run_step(step="execute", url=urls[1], file=path, store=store,
                                batch=populated["uuid"], rows=rows)
            results.append((f"execute batch ({label} rows)", executed))
    finally:
        for url in urls:
            drop(url)
    print(f"\n## {kind}\n")
    print("| step | rows | seconds | rows/s | CPU s (this process) | rows per CPU s | "
          "peak RSS MB | server CPU s |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, result in results:
        server = f"{result['server_cpu']:.2f}" if "server_cpu" in result else "-"
        print(f"| {label} | {result['rows']:,} | {result['seconds']:.2f} | "
              f"{result['rows'] / result['seconds']:,.0f} | {result['cpu']:.2f} | "
              f"{result['rows'] / result['cpu']:,.0f} | {result['rss_mb']:.0f} | {server} |")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--widgets", type=int, default=25_000)
    parser.add_argument("--components", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--new-only", action="store_true",
                        help="import, populate and execute the new rows only (no changed file)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    for hidden in ("url", "file", "store", "batch"):
        parser.add_argument(f"--{hidden}", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int,
                        help="file rows instead of --widgets (4000000: 1M widgets)")
    args = parser.parse_args(argv)
    if args.step:
        step(args)
        return 0
    from bench.memory import widgets_for

    args.widgets = widgets_for(args)

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bench.import_speed import PG_SERVER_URL, pg_reachable, write_file
    from bench.report import python_speed_ms

    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        files = [os.path.join(tmp, "widgets.csv"), os.path.join(tmp, "widgets-v2.csv")]
        rows = write_file(files[0], args.widgets, args.components)
        if not args.new_only:
            write_file(files[1], args.widgets, args.components, changed=True)
        store = os.path.join(tmp, "store")
        print(f"# Batch speed: {rows:,} rows ({args.widgets:,} widgets x {args.components} "
              f"components), {os.path.getsize(files[0]) / 1e6:.1f} MB; {os.cpu_count()} CPUs, "
              f"Python speed {python_speed_ms():.1f} ms (bench/report.py), "
              f"load average {os.getloadavg()[0]:.1f} at the start")
        if "sqlite" in args.databases:
            bench("SQLite", lambda label: f"sqlite:///{os.path.join(tmp, label + '.sqlite')}",
                  lambda url: None, files, store, rows, args.new_only)
        if "postgresql" in args.databases:
            if not pg_reachable():
                print(f"\nPostgreSQL not reachable at {PG_SERVER_URL}: skipped")
                return 0
            server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")

            def make(label):
                name = f"bench_batch_{label}_{os.getpid()}"
                with server.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                return make_url(PG_SERVER_URL).set(database=name).render_as_string(
                    hide_password=False)

            def drop(url):
                name = make_url(url).database
                with server.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

            try:
                bench("PostgreSQL", make, drop, files, store, rows, args.new_only)
            finally:
                server.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
