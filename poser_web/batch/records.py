"""A batch's header and rows as plain Core reads and bulk writes, and the errors people see."""
import json
from dataclasses import dataclass

from sqlalchemy import select

from ..models import Batch, BatchRow
from ..transfer.writer import bulk_insert

B, R = Batch.__table__, BatchRow.__table__
ROW_CHUNK = 1000


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
