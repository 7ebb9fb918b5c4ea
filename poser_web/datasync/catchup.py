"""`poser datasync catch-up CONFIG CONSUMER`: make a poser_web target equal this database.

For a new node, or after a change was skipped. Every entity the source captures is walked in
key order, a chunk at a time on both sides, referenced entities first: records the target
lacks or has otherwise are written in bulk (apply.py); records the source no longer has are
deleted once the walk is over, referencing entities first — each with a history entry on the
target (source `datasync`, the consumer's runas user). Then the target's cursor is set to the
last change that existed when the walk began (later changes are applied by the daemon again,
which is harmless: it ships whole records and finds nothing to do). Idempotent: a second run
finds nothing to do.
"""
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..db.engine import WRITE_OPTION
from ..models import Change, one_change_per_record
from ..transfer.engine import Counts
from . import store
from .apply import Source, apply_records
from .bulk import insert_rows
from .consumers.poser import CURSOR, history_row, store_cursor

CHUNK = 2000
NOTE = " (catch-up)"


@dataclass
class CatchUpReport:
    entities: dict = field(default_factory=dict)   # entity name -> Counts
    cursor: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def table(self):
        width = max([12] + [len(name) + 3 for name in self.entities])
        lines = [f"{'':{width}}{'created':>9}{'updated':>9}{'deleted':>9}{'unchanged':>11}"]
        for name, c in self.entities.items():
            lines.append(f"{name + 's':{width}}{c.created:>9,}{c.updated:>9,}{c.deleted:>9,}"
                         f"{c.unchanged:>11,}")
        return "\n".join(lines)


def catch_up(consumer, dry_run=False, progress=None):
    """Bring the target of a `poser` consumer in line; a CatchUpReport."""
    if not getattr(consumer, "cursor_in_target", False) or not hasattr(consumer, "engine"):
        raise ValueError(f"consumer {consumer.name} ({consumer.kind}) cannot compare its target: "
                         "catch-up works for consumers of type poser")
    consumer.open()
    started = time.monotonic()
    report = CatchUpReport(dry_run=dry_run)
    origin = Source.of(consumer.source_engine)
    with consumer.source_engine.connect() as source:
        report.cursor = store.last_change_id(source)
        source.rollback()
        for ent in origin.entities:
            report.entities[ent.name] = Counts()
        gone = {}
        for ent in origin.entities:   # upserts, referenced entities first
            gone[ent.name] = _walk(source, consumer, origin, ent, report, dry_run, progress)
    for ent in reversed(origin.entities):   # then deletes, referencing entities first
        keys = gone[ent.name]
        for start in range(0, len(keys), CHUNK):
            _write(consumer, origin, {ent.name: dict.fromkeys(keys[start:start + CHUNK])}, report,
                   dry_run)
    if not dry_run:
        with consumer.engine.execution_options(**{WRITE_OPTION: True}).begin() as target:
            current = target.scalar(select(CURSOR.c.change_id)
                                    .where(CURSOR.c.name == consumer.cursor_name))
            store_cursor(target, consumer.cursor_name, max(current or 0, report.cursor))
    report.seconds = time.monotonic() - started
    return report


def _walk(source, consumer, origin, ent, report, dry_run, progress):
    """Write every record of `ent` the target lacks or has otherwise; the target's keys the
    source lacks (deleted later)."""
    total = source.scalar(select(func.count()).select_from(ent.table))
    phase = progress.phase(f"compared {ent.name}s", total, unit=f"{ent.name}s") if progress else None
    counts, gone, after = report.entities[ent.name], [], None
    while True:
        query = select(ent.pk).order_by(ent.pk).limit(CHUNK)
        if after is not None:
            query = query.where(ent.pk > after)
        keys = list(source.scalars(query))
        upper = keys[-1] if len(keys) == CHUNK else None
        records = ent.load(source, keys)
        source.rollback()  # no long-held snapshot (or SQLite read lock) between chunks
        with consumer.engine.connect() as target:
            there = select(ent.pk).order_by(ent.pk)
            if after is not None:
                there = there.where(ent.pk > after)
            if upper is not None:
                there = there.where(ent.pk <= upper)
            gone += [k for k in target.scalars(there) if k not in records]
        written = _write(consumer, origin, {ent.name: records}, report, dry_run)
        counts.unchanged += len(records) - written.get(ent.name, 0)
        if phase is not None:
            phase.update_to(counts.total())
        if upper is None:
            break
        after = upper
    if phase is not None:
        phase.close()
    return gone


def _write(consumer, origin, wanted, report, dry_run):
    """Apply `wanted` in one target transaction; {entity: records that differed}."""
    engine = consumer.engine.execution_options(**{WRITE_OPTION: True})
    with engine.connect() as target:
        transaction = target.begin()
        one_change_per_record(target)
        applied = apply_records(target, wanted, source=origin)
        history = [history_row(a, None, consumer.runas, note=NOTE) for a in applied]
        if history:
            insert_rows(target, Change.__table__, history)
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    written = {}
    for a in applied:
        counts = report.entities.setdefault(a.entity, Counts())
        counts.created += a.action == "create"
        counts.updated += a.action == "update"
        counts.deleted += a.action == "delete"
        if a.entity in wanted and a.key in wanted[a.entity]:
            written[a.entity] = written.get(a.entity, 0) + 1
    return written
