"""The one set of rules `poser import`, import batches and bulk changes share, for any table.

A file is read record by record (`layout.FileLayout.records`) and handled in chunks of `CHUNK`
records, so memory stays flat whatever the file's size:

- `ledger.Ledger`: the keys met so far, in a temporary table of the connection (a key used
  twice in the file, the child rows an earlier chunk removed, the records "delete missing"
  keeps);
- `snapshot.Snapshot`: the database rows one chunk touches, read with a few selects
  (`lookups.keys_in`: many keys as one parameter);
- `checks.chunk_problems`: what only the database tells about a chunk;
- `planning.plan_record` / `plan_delete`: compare one record of the file (or one to delete)
  with the snapshot: the rows to write into a `Plan` and the difference the history records;
- `writer.write_plan` writes a chunk's plan with bulk statements.

This module holds what they share (the chunking, `Plan`, the counts) and names them all, so
callers import one module.
"""
from dataclasses import dataclass, field

from . import layout
from .checks import chunk_problems, missing_references, taken_keys  # noqa: F401
from .ledger import LEDGER, LEDGER_TABLE, Ledger, missing_records, owner_problem  # noqa: F401
from .lookups import IN_CHUNK, KeyList, in_chunks, keys_in  # noqa: F401
from .planning import Outcome, Who, plan_delete, plan_record, plan_set  # noqa: F401
from .snapshot import Snapshot, row_values, stored  # noqa: F401

CHUNK = 1000  # records compared and written together


@dataclass
class Counts:
    """How many records a run created, updated, deleted and left alone (import, catch-up)."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def total(self):
        return self.created + self.updated + self.deleted + self.unchanged


class Tally:
    """Counts per table: the records' and each child relationship's."""

    def __init__(self, spec):
        self.records = Counts()
        self.children = {child.name: Counts() for child in spec.children}


@dataclass
class Plan:
    inserts: dict = field(default_factory=dict)  # Core table -> [row dict]
    updates: dict = field(default_factory=dict)  # Core table -> [row dict, key as "key_<pk>"]
    deletes: dict = field(default_factory=dict)  # Core table -> [key]
    changes: list = field(default_factory=list)  # Change rows

    def insert(self, table, row):
        self.inserts.setdefault(table, []).append(row)

    def update(self, table, row):
        self.updates.setdefault(table, []).append(row)

    def delete(self, table, key):
        self.deletes.setdefault(table, []).append(key)

    # Whether the plan's history rows are made (`planning._change`).
    history = True

    def size(self):
        return sum(len(rows) for part in (self.inserts, self.updates, self.deletes)
                   for rows in part.values()) + len(self.changes)


class Comparison(Plan):
    """A plan only compared, never written: populate, refresh and a bulk change's rows need
    each record's outcome (action, difference), not its history rows, whose summary, label
    and JSON were a seventh of populating a batch."""

    history = False


def chunks_of(groups, size=CHUNK):
    """(chunk, error) pairs: the records read, and the `LayoutError` that stopped reading (the
    last pair) or None. The chunk before an error still comes, so the caller can report an
    earlier problem that only the database shows (a key used twice, a child row's owner)."""
    iterator = iter(groups)
    while True:
        chunk, error = [], None
        try:
            for group in iterator:
                chunk.append(group)
                if len(chunk) == size:
                    break
        except layout.LayoutError as problem:
            error = problem
        if chunk or error is not None:
            yield chunk, error
        if error is not None or len(chunk) < size:
            return
