"""Making a batch from a file and populating it: inline (small files, the command line) or in
a background thread of the web process (big files), committing a chunk at a time so the
progress shows and other requests keep being answered.

Executing a claimed batch in a background thread: one transaction (all or nothing: a
batch is never half applied, also when the process dies), its progress kept in this
process's memory (`workers`) because the data's transaction cannot commit any before the
end."""
import logging
import os
import threading

from ..db.engine import WRITE_OPTION
from ..transfer.layout import LayoutError
from . import files
from . import workers
from .handler import BatchError, Superseded, load

log = logging.getLogger(__name__)


def create_from_file(connection, handler, path, name, created_by, store, params=None,
                     description=None, move=False, kind=None):
    """Check the file (`files.inspect`, unless its `kind` says it was), keep a copy in the
    store, make the batch header. Returns (batch uuid, kind). Raises files.FileRefused with a
    message for people."""
    kind = kind or files.inspect(path, name, handler.layout).kind
    uuid = handler.create(connection, description or f"{handler.title} of {os.path.basename(name)}", created_by,
                          source=os.path.basename(name)[:255], params=params)
    stored = f"{uuid}.{kind}"
    if move:  # a file already in the store (an upload): renamed, not copied
        os.replace(path, store.path(stored))
        size = os.path.getsize(store.path(stored))
    else:
        size = store.copy_in(path, stored)
    from sqlalchemy import update

    from .handler import B
    connection.execute(update(B).where(B.c.uuid == uuid).values(file_name=stored, file_size=size))
    return uuid, kind


def populate(connection, handler, batch_uuid, store, commit=None, progress=None):
    """Populate the batch from its kept file. A file that cannot be read on fails the batch
    with the line and the reason (returned); None when it is ready."""
    batch = load(connection, batch_uuid)
    path = store.path(batch.file_name)
    kind = batch.file_name.rsplit(".", 1)[-1]
    if commit is not None:
        commit()  # counting the file's rows holds no database lock
    handler.set_progress(connection, batch_uuid, 0, 0,
                         files.count_rows(path, kind, handler.layout))
    if commit is not None:
        commit()
    try:
        handler.populate_file(connection, batch, path, kind, progress=progress, commit=commit)
    except (LayoutError, files.FileRefused) as error:
        if commit is not None:
            connection.rollback()
        message = f"The file cannot be read on: {error}"
        handler.fail(connection, batch_uuid, message)
        handler.recount(connection, batch_uuid)
        if commit is not None:
            commit()
        return message
    handler.finish_populate(connection, batch_uuid)
    if commit is not None:
        commit()
    return None


def populate_committing(engine, handler, batch_uuid, store, progress=None):
    """Populate on a connection of its own, committing each chunk."""
    with engine.connect() as connection:
        connection = connection.execution_options(**{WRITE_OPTION: True})
        try:
            return populate(connection, handler, batch_uuid, store, commit=connection.commit,
                            progress=progress)
        except Exception as error:
            connection.rollback()
            try:
                load(connection, batch_uuid)  # raises LookupError when it is gone
            except LookupError:
                return "the batch was deleted while it was populated"
            log.exception("populating batch %s failed", batch_uuid)
            handler.fail(connection, batch_uuid, f"Populating failed: {type(error).__name__}: "
                                                 f"{str(error).splitlines()[0][:300]}")
            connection.commit()
            return str(error)


def populate_in_background(engine, handler, batch_uuid, store):
    thread = threading.Thread(target=populate_committing, args=(engine, handler, batch_uuid, store),
                              name=f"batch-populate-{batch_uuid[:8]}", daemon=True)
    thread.start()
    return thread


def execute_committing(engine, handler, batch_uuid, username, worker):
    """Apply a batch claimed by `worker` (registered with `workers`) on a connection of its
    own, in one transaction; the outcome is in the batch (executed, or ready/failed with the
    reason)."""
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            try:
                with connection.begin():
                    try:
                        handler.apply(connection, batch_uuid, username, worker=worker,
                                      progress=lambda done, total: workers.report(
                                          worker, done, total))
                    except Superseded:
                        raise
                    except BatchError:  # the batch says why (committed with it)
                        pass
            except Superseded:
                log.warning("batch %s was taken over from worker %s", batch_uuid, worker)
            except Exception as error:
                log.exception("executing batch %s failed", batch_uuid)
                from sqlalchemy import update

                from .handler import B
                with connection.begin():  # the data was rolled back: say so, still ours only
                    connection.execute(update(B).where(
                        B.c.uuid == batch_uuid, B.c.state == "executing",
                        B.c.worker == worker).values(
                        state="failed", worker=None,
                        message=f"Execution failed and nothing was changed: "
                                f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"))
    finally:
        workers.unregister(worker)


def execute_in_background(engine, handler, batch_uuid, username, worker):
    thread = threading.Thread(target=execute_committing,
                              args=(engine, handler, batch_uuid, username, worker),
                              name=f"batch-execute-{batch_uuid[:8]}", daemon=True)
    thread.start()
    return thread
