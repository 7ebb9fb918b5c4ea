"""`poser import`: widgets and components from the CSV layout, all or nothing, in bulk.

One transaction; the file is read, checked, compared and written a chunk of widgets at a time
by the rules in `engine` (shared with the widget import batch), so memory stays flat. The
ORM's history and version listeners do not see Core statements, so each chunk's plan carries
the Change rows (`make_change`, the web form's diff shape) and bumps `Widget.version` itself.
A bad line anywhere rolls everything back: nothing is written.
"""
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select, text

from ..db.engine import WRITE_OPTION
from ..models import User, utcnow
from ..tables.widgets.models import Component, Widget
from . import engine, layout
from .engine import Counts, Plan  # noqa: F401
from .writer import deferred_search_index, write_plan

SOURCE = "import"
# SQLite's page cache for the import's connection (KiB; its default is 2 MiB): with every
# index of the two tables in memory, bulk writes do not thrash. Restored afterwards.
SQLITE_CACHE_KIB = 65536

W, C = Widget.__table__, Component.__table__


class UnknownUser(Exception):
    """--runas names no user."""


@dataclass
class ImportReport:
    widgets: Counts = field(default_factory=Counts)
    components: Counts = field(default_factory=Counts)
    rows: int = 0
    dry_run: bool = False
    seconds: float = 0.0

    def table(self):
        head = f"{'':12}{'created':>9}{'updated':>9}{'deleted':>9}{'unchanged':>11}"
        lines = [head]
        for name, counts in (("widgets", self.widgets), ("components", self.components)):
            lines.append(f"{name:12}{counts.created:>9,}{counts.updated:>9,}{counts.deleted:>9,}"
                         f"{counts.unchanged:>11,}")
        return "\n".join(lines)

    @property
    def rows_per_second(self):
        return self.rows / self.seconds if self.seconds else 0.0


def check_runas(connection, runas):
    if runas is None:
        return
    users = User.__table__
    found = connection.scalar(select(users.c.uuid).where(users.c.username == runas))
    if found is None:
        raise UnknownUser(f"no user named {runas!r}: --runas must name an existing user "
                          "(add one with `poser adduser`)")


def import_file(connection, binary_stream, runas=None, delete_missing=False, dry_run=False,
                progress=None, total_rows=0, reader=None):
    """Import from an open binary file on `connection` (inside the caller's transaction).

    Reads, checks and writes chunk by chunk (`engine`), so memory stays flat; a bad line
    anywhere raises `layout.LayoutError` and the caller rolls everything back. Raises
    `UnknownUser` for a bad runas. Returns the `ImportReport`; with `dry_run` the caller rolls
    back what was written.
    """
    started = time.perf_counter()
    check_runas(connection, runas)
    if reader is None:
        layout.check_header(binary_stream)  # a wrong file fails before anything else
    report = ImportReport(dry_run=dry_run)
    read = progress.phase("validated", total_rows) if progress is not None else None
    written = progress.phase("written", total_rows) if progress is not None else None
    when = utcnow()
    ledger = engine.Ledger(connection)
    groups = layout.iter_widgets(binary_stream, read.update_to if read is not None else None,
                                 reader=reader)
    with deferred_search_index(connection):  # SQLite: a big import rebuilds the index once
        _write_chunks(connection, ledger, groups, report, runas, when, delete_missing,
                      written, total_rows)
    ledger.drop()
    for phase in (read, written):
        if phase is not None:
            phase.close()
    report.seconds = time.perf_counter() - started
    return report


def _write_chunks(connection, ledger, groups, report, runas, when, delete_missing, written,
                  total_rows):
    done = 0
    for chunk, error in engine.chunks_of(groups):
        snapshot = engine.Snapshot.of(connection, chunk)
        problems = ledger.check(chunk, snapshot.owners)
        if problems:
            line = min(problems)
            raise layout.LayoutError(line, problems[line])
        if error is not None:
            raise error
        plan = engine.Plan()
        for row in chunk:
            outcome = engine.plan_widget(plan, row, snapshot, report.widgets, report.components,
                                         runas, SOURCE, when)
            if outcome.action == "create" and row.uuid is None:
                ledger.add([{"uuid": outcome.uuid, "line": 0, "kind": "n", "widget": None}])
            if outcome.removed:
                ledger.add([{"uuid": key, "line": 0, "kind": "r", "widget": outcome.uuid}
                            for key in outcome.removed])
        rows = len(chunk) + sum(len(row.components) for row in chunk)
        report.rows += rows
        write_plan(connection, plan)
        done += rows
        if written is not None:
            written.update_to(min(done, total_rows))
    if delete_missing:
        for keys in engine.missing_widgets(connection):
            snapshot = engine.Snapshot(connection, keys)
            plan = engine.Plan()
            for uuid in keys:
                engine.plan_delete(plan, uuid, snapshot, report.widgets, report.components,
                                   runas, SOURCE, when)
            write_plan(connection, plan)


@contextmanager
def _sqlite_cache(connection):
    """SQLite: a bigger page cache for this connection while the import runs."""
    if connection.dialect.name != "sqlite":
        yield
        return
    cursor = connection.connection.driver_connection.cursor()  # outside any transaction
    try:
        previous = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size={int(previous)}")
    finally:
        cursor.close()


def run_import(db_engine, path, runas=None, delete_missing=False, dry_run=False, progress=None):
    """Import the file at `path` in one transaction: committed, or rolled back on any error
    and always for a dry run."""
    started = time.perf_counter()
    with open(path, "rb") as stream:
        total = max(layout.count_lines(stream) - 1, 0) if progress is not None else 0
        options = {WRITE_OPTION: True}  # SQLite: BEGIN IMMEDIATE, writers queue behind us
        with db_engine.connect() as connection, _sqlite_cache(connection):
            connection = connection.execution_options(**options)
            transaction = connection.begin()
            try:
                if db_engine.dialect.name == "postgresql":
                    # Nobody else writes widgets or components until we commit (readers may).
                    connection.execute(text(f"LOCK TABLE {W.name}, {C.name} "
                                            "IN SHARE ROW EXCLUSIVE MODE"))
                report = import_file(connection, stream, runas, delete_missing, dry_run,
                                     progress, total)
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()  # a dry run writes like an import, then takes it back
            else:
                transaction.commit()
    report.seconds = time.perf_counter() - started  # reading, checking, writing and committing
    return report
