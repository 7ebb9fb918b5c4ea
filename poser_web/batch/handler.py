"""BatchHandler: what every batch type shares — numbers, states, rows in bulk, counts, refresh,
execute once, remove rows, delete and purge — and the hooks a type fills in.

Everything works on a SQLAlchemy Connection (Core statements, bulk writes), so the same code
runs inside a web request (the request's connection), a background thread and the command
line. `execute` uses a SAVEPOINT: a refused or failed execution changes nothing of the data,
while the batch keeps the reason.
"""
import json
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..models import Batch, BatchRow, utcnow
from ..models.violations import write_refused
from ..transfer.writer import bulk_insert, bulk_update, bulk_writes
from . import workers

B, R = Batch.__table__, BatchRow.__table__
ROW_CHUNK = 1000
EDITABLE = ("ready", "failed")  # states whose rows may be refreshed or removed


class BatchError(Exception):
    """Something people can act on (shown as the page's message; 409 on the web)."""


class NotEditable(BatchError):
    pass


class StaleRows(BatchError):
    pass


class ExecutionFailed(BatchError):
    pass


class Superseded(BatchError):
    """The worker's claim was taken over (it was thought stopped): it must not write."""


@dataclass
class BatchInfo:
    """The header's columns as a plain object (read with Core)."""
    uuid: str
    number: int
    batch_type: str
    state: str
    params: dict
    row_count: int
    source: str | None
    file_name: str | None
    executed_at: object = None
    worker: str | None = None


def load(connection, uuid, lock=False):
    query = select(B.c.uuid, B.c.number, B.c.batch_type, B.c.state, B.c.params, B.c.row_count,
                   B.c.source, B.c.file_name, B.c.executed_at, B.c.worker).where(B.c.uuid == uuid)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise LookupError(f"no batch {uuid}")
    values = row._asdict()
    values["params"] = json.loads(values["params"] or "{}")
    return BatchInfo(**values)


def by_number(connection, number):
    uuid = connection.scalar(select(B.c.uuid).where(B.c.number == number))
    if uuid is None:
        raise LookupError(f"no batch number {number}")
    return load(connection, uuid)


def row_values(row):
    return json.loads(row.values) if row.values else {}


class BatchHandler:
    """One batch type. Subclasses set `key`, `title` and fill in the hooks."""

    key = None  # "widget_import": stored on the batch, names the type
    title = None  # "Widget import"
    entity = None  # the history's entity name of the records the rows touch
    table = None  # the table rows point at (entity_uuid), its version (entity_version) if any
    versioned = True  # the table has a version column: the stale check compares it
    from_file = False  # made from an uploaded file (`populate_file`)
    statuses = ("new", "update", "unchanged", "delete", "error")
    executable = ("new", "update", "delete")  # rows execute touches
    list_page = None  # route prefix of the list page that offers "Import file" (from_file)

    # -- hooks -------------------------------------------------------------------------

    def populate_file(self, connection, batch, path, kind, progress=None, commit=None):
        """Read the file into rows (`RowWriter`)."""
        raise NotImplementedError

    def refresh_rows(self, connection, batch, rows):
        """Compare `rows` (BatchRow-like) with the data as it is now: their new values as dicts
        of status, message, entity_version, diff."""
        raise NotImplementedError

    def execute_rows(self, connection, batch, rows, username, source, when):
        """Apply `rows` (new / update / delete ones), recording history."""
        raise NotImplementedError

    def execute_permissions(self, connection, batch):
        """The permissions executing `batch` needs beside batches.execute (web)."""
        return set()

    def statuses_of(self, connection, batch):
        """The statuses of the rows executing `batch` would apply."""
        return set(connection.scalars(select(R.c.status).distinct().where(
            R.c.batch_uuid == batch.uuid, R.c.status.in_(self.executable))))

    def lock(self, connection):
        """Keep other writers of the target tables out while executing (PostgreSQL)."""

    def describe_row(self, row):
        """What the row page shows: a list of sections (dicts of title, columns, rows)."""
        return []

    def row_summary(self, row):
        """One line for the rows list."""
        return row.message or ""

    # -- shared --------------------------------------------------------------------------

    def create(self, connection, description, created_by, source=None, params=None,
               file_name=None, file_size=None, state="populating"):
        """A new batch header (with the next number); its uuid."""
        from ..models import new_uuid

        uuid = new_uuid()
        for attempt in range(5):  # two batches made at once may both want the next number
            number = (connection.scalar(select(func.max(B.c.number))) or 0) + 1
            savepoint = connection.begin_nested()
            try:
                connection.execute(B.insert().values(
                    uuid=uuid, number=number, batch_type=self.key,
                    description=description[:255], source=source, file_name=file_name,
                    file_size=file_size, params=json.dumps(params or {}, sort_keys=True),
                    state=state, progress=0, progress_total=0, row_count=0,
                    status_counts="{}", created_by=created_by, created_at=utcnow()))
            except IntegrityError:
                savepoint.rollback()
                if attempt == 4:
                    raise
                continue
            savepoint.commit()
            return uuid

    def stale_rows(self, connection, batch):
        """(sequence, message) of rows whose record changed since they were compared: a new
        row's record now exists, or an existing one's version moved or it is gone (without a
        version column: a new row's record exists, or an update's or delete's is gone)."""
        if self.table is None:
            return []
        T = self.table
        [key] = T.primary_key.columns
        seen, there = R.c.entity_version, key.is_not(None)
        if self.versioned:
            now = T.c.version
            moved = or_(and_(seen.is_(None), there),
                        and_(seen.is_not(None), or_(key.is_(None), now != seen)))
        else:
            now = seen
            moved = or_(and_(R.c.status == "new", there),
                        and_(R.c.status.in_(("update", "delete")), key.is_(None)))
        query = (select(R.c.sequence, seen, now, there.label("there"))
                 .select_from(R.outerjoin(T, key == R.c.entity_uuid))
                 .where(R.c.batch_uuid == batch.uuid, R.c.status != "error",
                        R.c.entity_uuid.is_not(None), moved)
                 .order_by(R.c.sequence))
        stale = []
        for sequence, then, current, exists in connection.execute(query):
            if not exists:
                message = "Deleted by someone else since the batch was refreshed."
            elif then is None:
                message = "Created by someone else since the batch was refreshed."
            else:
                message = (f"Changed by someone else since the batch was refreshed (version "
                           f"{then} then, {current} now).")
            stale.append((sequence, message))
        return stale

    def rows(self, connection, batch_uuid, statuses=None, size=ROW_CHUNK):
        """Chunks of the batch's rows in sequence order (keyset: no cursor left open)."""
        last = 0
        while True:
            query = select(R).where(R.c.batch_uuid == batch_uuid, R.c.sequence > last)
            if statuses is not None:
                query = query.where(R.c.status.in_(statuses))
            chunk = connection.execute(query.order_by(R.c.sequence).limit(size)).all()
            if not chunk:
                return
            yield chunk
            last = chunk[-1].sequence

    def failure_reason(self, connection, batch_uuid, error):
        """Why an execution failed: a rule the database enforced said as the pages say it."""
        if isinstance(error, connection.dialect.dbapi.IntegrityError):  # raised through COPY
            error = IntegrityError("COPY", None, error)
        if isinstance(error, IntegrityError) and self.table is not None:
            deleted = select(R.c.entity_uuid).where(R.c.batch_uuid == batch_uuid,
                                                    R.c.status == "delete")
            return write_refused(connection, self.table, deleted, error)
        return f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"

    def set_progress(self, connection, batch_uuid, done, rows, total=None):
        values = {"progress": done, "row_count": rows}
        if total is not None:
            values["progress_total"] = total
        connection.execute(update(B).where(B.c.uuid == batch_uuid).values(**values))

    def recount(self, connection, batch_uuid, **values):
        """Store the row count and the counts by status (and any other header `values`)."""
        counts = dict(connection.execute(
            select(R.c.status, func.count()).where(R.c.batch_uuid == batch_uuid)
            .group_by(R.c.status)).all())
        connection.execute(update(B).where(B.c.uuid == batch_uuid).values(
            row_count=sum(counts.values()), status_counts=json.dumps(counts, sort_keys=True),
            **values))
        return counts

    def finish_populate(self, connection, batch_uuid):
        params = load(connection, batch_uuid).params
        params["populated"] = True
        now = utcnow()
        return self.recount(connection, batch_uuid, state="ready", refreshed_at=now,
                            params=json.dumps(params, sort_keys=True), message=None)

    def fail(self, connection, batch_uuid, message):
        connection.execute(update(B).where(B.c.uuid == batch_uuid).values(
            state="failed", message=message))

    def check_editable(self, batch):
        if batch.state not in EDITABLE or not batch.params.get("populated"):
            raise NotEditable(f"Batch {batch.number} is {batch.state}: its rows can no longer "
                              "be changed." if batch.state != "populating" else
                              f"Batch {batch.number} is still being populated.")

    def refresh(self, connection, batch_uuid):
        """Compare every row with the data as it is now; the batch is ready again."""
        batch = load(connection, batch_uuid, lock=True)
        self.check_editable(batch)
        for chunk in self.rows(connection, batch_uuid):
            changes = self.refresh_rows(connection, batch, [r for r in chunk
                                                            if r.status != "error"])
            bulk_update(connection, R, [
                {"key_batch_uuid": batch_uuid, "key_sequence": sequence, **values}
                for sequence, values in changes.items()], ("batch_uuid", "sequence"))
        return self.recount(connection, batch_uuid, state="ready", refreshed_at=utcnow(),
                            message=None)

    def remove_rows(self, connection, batch_uuid, sequences):
        batch = load(connection, batch_uuid, lock=True)
        self.check_editable(batch)
        sequences = [int(s) for s in sequences]
        for start in range(0, len(sequences), 900):
            connection.execute(R.delete().where(R.c.batch_uuid == batch_uuid,
                                                R.c.sequence.in_(sequences[start:start + 900])))
        return self.recount(connection, batch_uuid)

    def execute(self, connection, batch_uuid, username, when=None, progress=None,
                stopped=None):
        """Claim and apply the batch in the caller's transaction (the command line, a test's
        session): see `claim` and `apply`."""
        self.claim(connection, batch_uuid, stopped=stopped)
        self.apply(connection, batch_uuid, username, when=when, progress=progress)

    def claim(self, connection, batch_uuid, worker=None, stopped=None):
        """Move the batch from ready to executing, named `worker` (or take over the batch of
        the worker named `stopped`, known to have stopped: `workers.stopped`).

        A conditional UPDATE, so of two executions at once the second waits for the first,
        finds the batch executing or executed and is refused. Refused too while rows have
        errors. Nothing is changed when refused.
        """
        batch = load(connection, batch_uuid)
        claimable = B.c.state == "ready"
        if stopped:
            claimable = or_(claimable, and_(B.c.state == "executing", B.c.worker == stopped))
        savepoint = connection.begin_nested()
        try:
            moved = connection.execute(update(B).where(B.c.uuid == batch_uuid, claimable).values(
                state="executing", worker=worker, message=None)).rowcount
            if moved != 1:
                state = connection.scalar(select(B.c.state).where(B.c.uuid == batch_uuid))
                raise NotEditable(f"Batch {batch.number} is {state}, not ready: nothing was "
                                  "executed." + (" It was executed once already."
                                                 if state == "executed" else ""))
            self._refuse_errors(connection, batch)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return batch

    def _refuse_errors(self, connection, batch):
        errors = connection.scalar(select(func.count()).where(
            R.c.batch_uuid == batch.uuid, R.c.status == "error"))
        if errors:
            raise BatchError(f"Batch {batch.number} has {errors:,} row"
                             f"{'s' if errors != 1 else ''} with errors: remove or fix them "
                             "first. Nothing was executed.")

    def apply(self, connection, batch_uuid, username, when=None, worker=None, progress=None):
        """Apply a claimed batch once, all or nothing (a SAVEPOINT of the caller's
        transaction, which the caller commits), calling `progress(done, total)` per chunk.

        Refused while records changed since the last refresh (those rows get a message) and
        when the batch is no longer claimed by `worker` (taken over: `Superseded`). Refused or
        failed, the data is untouched and the batch is ready (refused) or failed, with the
        reason as its message.
        """
        when = when or utcnow()
        batch = load(connection, batch_uuid)
        workers.hold(connection, batch.number)  # PostgreSQL: we are its live worker
        claimed = connection.execute(select(B.c.state, B.c.worker).where(
            B.c.uuid == batch_uuid).with_for_update()).first()
        if claimed is None or claimed.state != "executing" or \
                (worker is not None and claimed.worker != worker):
            raise Superseded(f"Batch {batch.number} is no longer executed by this worker.")
        savepoint = connection.begin_nested()
        try:
            self._refuse_errors(connection, batch)
            self.lock(connection)
            stale = self.stale_rows(connection, batch)
            if stale:
                raise StaleRows(stale)
            source = f"batch {batch.number}"
            total = connection.scalar(select(func.count()).where(
                R.c.batch_uuid == batch_uuid, R.c.status.in_(self.executable)))
            done = 0
            if progress is not None:
                progress(done, total)
            # SQLite: a batch that writes much of a table rebuilds its search index once, ...
            with bulk_writes(connection):
                for chunk in self.rows(connection, batch_uuid, statuses=self.executable):
                    self.execute_rows(connection, batch, chunk, username, source, when)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            connection.execute(update(B).where(B.c.uuid == batch_uuid).values(
                state="executed", executed_by=username, executed_at=when, message=None,
                worker=None))
        except StaleRows as error:
            savepoint.rollback()
            stale = error.args[0]
            bulk_update(connection, R, [
                {"key_batch_uuid": batch_uuid, "key_sequence": sequence, "message": message}
                for sequence, message in stale], ("batch_uuid", "sequence"))
            message = (f"{len(stale):,} row{'s' if len(stale) != 1 else ''} changed since the "
                       "batch was refreshed: nothing was executed. Refresh the batch, review, "
                       "then execute.")
            self._release(connection, batch_uuid, "ready", message)
            raise StaleRows(message) from None
        except BatchError as error:
            savepoint.rollback()
            self._release(connection, batch_uuid, "ready", str(error))
            raise
        except Exception as error:
            savepoint.rollback()
            message = ("Execution failed and nothing was changed: "
                       + self.failure_reason(connection, batch_uuid, error))
            self._release(connection, batch_uuid, "failed", message)
            raise ExecutionFailed(message) from error
        savepoint.commit()

    def _release(self, connection, batch_uuid, state, message):
        connection.execute(update(B).where(B.c.uuid == batch_uuid).values(
            state=state, message=message, worker=None))


class RowWriter:
    """Rows added to a batch in bulk, `ROW_CHUNK` at a time."""

    def __init__(self, connection, batch_uuid, sequence=0):
        self.connection, self.batch_uuid, self.sequence = connection, batch_uuid, sequence
        self.pending = []

    def add(self, status, label="", message=None, line=None, entity_uuid=None,
            entity_version=None, values=None, diff=None):
        self.sequence += 1
        self.pending.append({
            "batch_uuid": self.batch_uuid, "sequence": self.sequence, "status": status,
            "message": message, "line": line, "entity_uuid": entity_uuid,
            "entity_version": entity_version, "label": (label or "")[:255],
            "values": json.dumps(values, sort_keys=True) if values is not None else None,
            "diff": json.dumps(diff, sort_keys=True) if diff is not None else None})
        if len(self.pending) >= ROW_CHUNK:
            self.flush()

    def flush(self):
        bulk_insert(self.connection, R, self.pending)
        self.pending = []


def delete_batch(connection, batch_uuid, store):
    """Remove a batch, its rows and its kept file. An executed batch is history: only `purge`
    removes it."""
    batch = load(connection, batch_uuid, lock=True)
    if batch.state in ("executing", "executed"):
        raise NotEditable(f"Batch {batch.number} is {batch.state}: it is kept as a record "
                          "(`poser batch purge` removes old executed batches).")
    _remove(connection, batch, store)
    return batch


def _remove(connection, batch, store):
    connection.execute(R.delete().where(R.c.batch_uuid == batch.uuid))
    connection.execute(B.delete().where(B.c.uuid == batch.uuid))
    store.delete(batch.file_name)


def purge(connection, store, days, now=None):
    """Remove executed batches executed more than `days` days ago, with their rows and files.
    Returns their numbers."""
    from datetime import timedelta

    cutoff = (now or utcnow()) - timedelta(days=days)
    uuids = connection.scalars(select(B.c.uuid).where(
        B.c.state == "executed", B.c.executed_at < cutoff).order_by(B.c.number)).all()
    numbers = []
    for uuid in uuids:
        batch = load(connection, uuid)
        _remove(connection, batch, store)
        numbers.append(batch.number)
    return numbers
