"""`poser datasync catch-up CONFIG CONSUMER`: make a poser_web target equal this database.

For a new node, or after a change was skipped. Walks every record of every entity in key order,
a chunk at a time, on both sides: records the target lacks are inserted in bulk, different ones
rewritten, ones the source no longer has deleted — each with a history entry on the target
(source `datasync`, the consumer's runas user). Then the target's cursor is set to the last
change that existed when the walk began (later changes are applied by the daemon again, which
is harmless: it ships whole records). Idempotent: a second run finds nothing to do.
"""
import time
from dataclasses import dataclass, field

from sqlalchemy import exc, func, insert, select

from ..db.engine import WRITE_OPTION
from ..models import Change, make_change, utcnow
from ..transfer.engine import Counts
from ..transfer.writer import _copy
from . import store
from .consumers.poser import SOURCE, store_cursor
from .entities import ENTITIES

CHUNK = 2000


@dataclass
class CatchUpReport:
    entities: dict = field(default_factory=dict)
    cursor: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def table(self):
        lines = [f"{'':12}{'created':>9}{'updated':>9}{'deleted':>9}{'unchanged':>11}"]
        for name, c in self.entities.items():
            lines.append(f"{name + 's':12}{c.created:>9,}{c.updated:>9,}{c.deleted:>9,}"
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
    with consumer.source_engine.connect() as source:
        report.cursor = store.last_change_id(source)
        source.rollback()
        for name, ent in ENTITIES.items():
            counts = report.entities[name] = Counts()
            total = source.scalar(select(func.count()).select_from(ent.table))
            phase = progress.phase(f"compared {name}s", total, unit=f"{name}s") if progress else None
            after = None
            while True:
                query = select(ent.pk).order_by(ent.pk).limit(CHUNK)
                if after is not None:
                    query = query.where(ent.pk > after)
                keys = list(source.scalars(query))
                upper = keys[-1] if len(keys) == CHUNK else None
                records = ent.load(source, keys)
                source.rollback()  # no long-held snapshot (or SQLite read lock) between chunks
                with consumer.engine.execution_options(**{WRITE_OPTION: True}).connect() as target:
                    transaction = target.begin()
                    tquery = select(ent.pk).order_by(ent.pk)
                    if after is not None:
                        tquery = tquery.where(ent.pk > after)
                    if upper is not None:
                        tquery = tquery.where(ent.pk <= upper)
                    target_keys = list(target.scalars(tquery))
                    sync_chunk(target, ent, records, target_keys, counts, consumer.runas)
                    if dry_run:
                        transaction.rollback()
                    else:
                        transaction.commit()
                if phase is not None:
                    phase.update_to(counts.total())
                if upper is None:
                    break
                after = upper
            if phase is not None:
                phase.close()
    if not dry_run:
        with consumer.engine.execution_options(**{WRITE_OPTION: True}).begin() as target:
            current = consumer_cursor(target, consumer.cursor_name)
            store_cursor(target, consumer.cursor_name, max(current or 0, report.cursor))
    report.seconds = time.monotonic() - started
    return report


def consumer_cursor(connection, name):
    from .consumers.poser import CURSOR

    return connection.scalar(select(CURSOR.c.change_id).where(CURSOR.c.name == name))


def sync_chunk(target, ent, records, target_keys, counts, runas):
    there = ent.load(target, target_keys)
    history = []
    missing = [k for k, r in records.items() if k not in there]
    inserted = bulk_insert(target, ent, [records[k] for k in missing])
    for key in missing:
        if key in inserted:
            counts.created += 1
            history.append(make_change("create", key, ent.label(records[key], key),
                                       {"fields": {}}, runas, SOURCE, entity=ent.name))
    for key, record in records.items():
        if key in inserted:
            continue
        if key in there and there[key] == record:
            counts.unchanged += 1
            continue
        result = ent.apply(target, key, record)
        if result is None:
            counts.unchanged += 1
            continue
        counts.created += result[0] == "create"
        counts.updated += result[0] == "update"
        history.append(make_change(*_history(result, key), runas, SOURCE, entity=ent.name))
    for key in target_keys:
        if key not in records:
            result = ent.apply(target, key, None)
            if result is not None:
                counts.deleted += 1
                history.append(make_change(*_history(result, key), runas, SOURCE, entity=ent.name))
    now = utcnow()
    for values in history:
        values["summary"] = (values["summary"][:240] + " (catch-up)")
        values["changed_at"] = now
    if history:
        many_rows(target, Change.__table__, history)


def _history(result, key):
    action, label, diff = result
    return action, key, label, diff


def bulk_insert(target, ent, records):
    """Insert records the target lacks, parents then children, in bulk; the keys inserted.

    If a child's key is already on the target (under another parent) the bulk insert fails on
    it: then nothing of it is kept and every record goes through `apply` instead.
    """
    if not records:
        return set()
    savepoint = target.begin_nested()
    try:
        many_rows(target, ent.table, [{c.name: r[c.name] for c in ent.columns} for r in records])
        for rel_name, table, fk, pk in ent.children:
            many_rows(target, table, [row for r in records for row in r[rel_name]])
    except (exc.IntegrityError, target.dialect.dbapi.IntegrityError):
        savepoint.rollback()
        return set()
    savepoint.commit()
    return {r[ent.pk.name] for r in records}


def many_rows(connection, table, rows):
    """Rows in bulk: COPY on PostgreSQL (the target's statement triggers — change capture,
    component counts — run once per COPY, not once per row), executemany elsewhere."""
    if not rows:
        return
    if connection.dialect.driver == "psycopg":
        _copy(connection, table.name, rows, [(name, name) for name in rows[0]])
    else:
        connection.execute(insert(table), rows)
