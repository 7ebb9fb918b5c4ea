"""BatchHandler: what every batch type shares — numbers, states, rows in bulk, counts, refresh,
remove rows — and the hooks a type fills in; executing once is execution.py (a mixin), the
header and rows as Core records.py, deleting and purging removal.py (named here too).

Everything works on a SQLAlchemy Connection (Core statements, bulk writes), so the same code
runs inside a web request (the request's connection), a background thread and the command
line. `execute` uses a SAVEPOINT: a refused or failed execution changes nothing of the data,
while the batch keeps the reason.
"""
import json

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..models import utcnow
from ..models.violations import write_refused
from ..transfer.writer import bulk_update
from .execution import Execution
from .records import (B, R, ROW_CHUNK, BatchError, BatchInfo, ExecutionFailed,  # noqa: F401
                      NotEditable, RowWriter, StaleRows, Superseded, by_number, load, row_values)
from .removal import delete_batch, purge  # noqa: F401

EDITABLE = ("ready", "failed")  # states whose rows may be refreshed or removed


class BatchHandler(Execution):
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
        """Chunks of the batch's rows in sequence order (no cursor left open), of `statuses`
        only when given: a window of `size` sequences at a time."""
        # Each query reads at most `size` sequences. A keyset with `status IN (...)` let the
        # planner read every remaining row through (batch_uuid, status, sequence) and sort
        # them for each chunk: executing a batch of 1,000,000 rows was quadratic.
        top = connection.scalar(select(func.max(R.c.sequence)).where(R.c.batch_uuid == batch_uuid))
        for low in range(0, top or 0, size):
            query = select(R).where(R.c.batch_uuid == batch_uuid, R.c.sequence > low,
                                    R.c.sequence <= low + size)
            if statuses is not None:
                query = query.where(R.c.status.in_(statuses))
            chunk = connection.execute(query.order_by(R.c.sequence)).all()
            if chunk:
                yield chunk

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
