"""Executing a batch once: claim it (ready -> executing, refused while rows have errors),
then apply its rows in a SAVEPOINT, all or nothing. A mixin of BatchHandler, whose hooks
(`lock`, `stale_rows`, `rows`, `execute_rows`, `failure_reason`) it calls."""
from sqlalchemy import and_, func, or_, select, update

from ..models import utcnow
from ..transfer.writer import bulk_update, bulk_writes
from . import workers
from .records import (B, R, BatchError, ExecutionFailed, NotEditable, StaleRows, Superseded,
                      load)


class Execution:
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
