"""`poser import`: a table's records (with their child rows) from its file layout, all or
nothing, in bulk.

One transaction; the file is read, checked, compared and written a chunk of records at a time
by the rules in `engine` (shared with the import batches), so memory stays flat. The ORM's
history and version listeners do not see Core statements, so each chunk's plan carries the
Change rows (`make_change`, the web form's diff shape) and raises versions itself. A bad line
anywhere rolls everything back: nothing is written.
"""
import time

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from ..db.engine import WRITE_OPTION
from ..models import User, utcnow
from ..models.violations import explain
from . import engine
from .engine import Counts, Plan, Tally, Who  # noqa: F401
from .layout import FileLayout, LayoutError
from .reading import count_lines
from .writer import bulk_writes, write_plan

SOURCE = "import"
# SQLite's page cache for the import's connection (KiB; its default is 2 MiB): with every
# index of the tables in memory, bulk writes do not thrash. Restored afterwards.
SQLITE_CACHE_KIB = 65536


class UnknownUser(Exception):
    """--runas names no user."""


class ImportReport:
    def __init__(self, spec, dry_run=False):
        self.spec, self.tally = spec, Tally(spec)
        self.rows, self.dry_run, self.seconds = 0, dry_run, 0.0

    def counts(self):
        """(name, Counts) of the records and of each kind of child row."""
        return [(self.spec.name, self.tally.records)] + [
            (child.name, self.tally.children[child.name]) for child in self.spec.children]

    def table(self):
        width = max(12, *(len(name) + 2 for name, _ in self.counts()))
        lines = [f"{'':{width}}{'created':>9}{'updated':>9}{'deleted':>9}{'unchanged':>11}"]
        for name, counts in self.counts():
            lines.append(f"{name:{width}}{counts.created:>9,}{counts.updated:>9,}"
                         f"{counts.deleted:>9,}{counts.unchanged:>11,}")
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


def import_file(connection, spec, binary_stream, runas=None, delete_missing=False,
                dry_run=False, progress=None, total_rows=0, reader=None):
    """Import a file of table `spec` from an open binary file on `connection` (inside the
    caller's transaction).

    Reads, checks and writes chunk by chunk (`engine`), so memory stays flat; a bad line
    anywhere raises `LayoutError` and the caller rolls everything back. Raises `UnknownUser`
    for a bad runas. Returns the `ImportReport`; with `dry_run` the caller rolls back what was
    written.
    """
    started = time.perf_counter()
    check_runas(connection, runas)
    layout = FileLayout(spec)
    if reader is None:
        layout.check_header(binary_stream)  # a wrong file fails before anything else
    report = ImportReport(spec, dry_run=dry_run)
    read = progress.phase("validated", total_rows) if progress is not None else None
    written = progress.phase("written", total_rows) if progress is not None else None
    who = Who(runas, SOURCE, utcnow())
    ledger = engine.Ledger(connection)
    records = layout.records(binary_stream, read.update_to if read is not None else None,
                             reader=reader)
    try:
        with bulk_writes(connection):  # SQLite: a big import rebuilds the index once, ...
            _write_chunks(connection, spec, ledger, records, report, who, delete_missing,
                          written, total_rows)
    finally:
        records.close()  # a failed import's reader gives the file back while it is open
    ledger.drop()
    for phase in (read, written):
        if phase is not None:
            phase.close()
    report.seconds = time.perf_counter() - started
    return report


def _write_chunks(connection, spec, ledger, records, report, who, delete_missing, written,
                  total_rows):
    done = 0
    for chunk, error in engine.chunks_of(records):
        snapshot = engine.Snapshot.of(connection, spec, chunk)
        problems = engine.chunk_problems(connection, spec, chunk, ledger, snapshot)
        if problems:
            line = min(problems)
            if error is None or line < error.line:
                raise LayoutError(line, problems[line])
        if error is not None:
            raise error
        plan, met = engine.Plan(), []
        for record in chunk:
            outcome = engine.plan_record(plan, spec, record, snapshot, report.tally, who)
            if outcome.action == "create" and record.key is None:
                met.append((outcome.key, 0, "n", None))
            met += [(key, 0, "r", outcome.key) for key in outcome.removed]
        ledger.add(met)
        rows = len(chunk) + sum(len(rows) for record in chunk for rows in record.children.values())
        report.rows += rows
        _write(connection, spec, plan, chunk)
        done += rows
        if written is not None:
            written.update_to(min(done, total_rows))
    if delete_missing:
        for keys in engine.missing_records(connection, spec):
            snapshot = engine.Snapshot(connection, spec, keys)
            plan = engine.Plan()
            for key in keys:
                engine.plan_delete(plan, spec, key, snapshot, report.tally, who)
            write_plan(connection, spec, plan)


def _write(connection, spec, plan, chunk):
    """Write a chunk's plan; a row the database still refuses (a rule it alone knows, a hand-
    written CHECK, a race) stops the import with the lines and the reason, in a SAVEPOINT so
    the error is the import's, not the connection's."""
    savepoint = connection.begin_nested()
    refused = (IntegrityError, connection.dialect.dbapi.IntegrityError)  # COPY raises the driver's
    try:
        write_plan(connection, spec, plan)
    except refused as error:
        savepoint.rollback()
        if not isinstance(error, IntegrityError):
            error = IntegrityError("COPY", None, error)
        violation = explain(error, spec.model)
        first, last = chunk[0].line, max(r.line for record in chunk
                                         for r in (record, *record.child_rows()))
        raise LayoutError(first, f"the database refused a record of lines {first}-{last}: "
                                 f"{violation.message}") from None
    savepoint.commit()


def lock_tables(connection, spec):
    """PostgreSQL: nobody else writes the table or its child rows until we commit (readers may).
    SQLite's writers already queue behind our BEGIN IMMEDIATE."""
    if connection.dialect.name == "postgresql":
        names = ", ".join(t.name for t in (spec.table, *(c.table for c in spec.children)))
        connection.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))


def run_import(db_engine, spec, path, runas=None, delete_missing=False, dry_run=False,
               progress=None):
    """Import the file at `path` into table `spec` in one transaction: committed, or rolled
    back on any error and always for a dry run."""
    started = time.perf_counter()
    with open(path, "rb") as stream:
        total = max(count_lines(stream) - 1, 0) if progress is not None else 0
        options = {WRITE_OPTION: True}  # SQLite: BEGIN IMMEDIATE, writers queue behind us
        with db_engine.connect() as connection:
            connection = connection.execution_options(**options)
            transaction = connection.begin()
            try:
                lock_tables(connection, spec)
                report = import_file(connection, spec, stream, runas, delete_missing, dry_run,
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
