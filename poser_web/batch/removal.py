"""Removing batches: one not yet executed (`delete_batch`), or old executed ones (`purge`),
with their rows and kept files."""
from datetime import timedelta

from sqlalchemy import select

from ..models import utcnow
from .records import B, R, NotEditable, load


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
    cutoff = (now or utcnow()) - timedelta(days=days)
    uuids = connection.scalars(select(B.c.uuid).where(
        B.c.state == "executed", B.c.executed_at < cutoff).order_by(B.c.number)).all()
    numbers = []
    for uuid in uuids:
        batch = load(connection, uuid)
        _remove(connection, batch, store)
        numbers.append(batch.number)
    return numbers
