"""`poser export`: a table's records, each with its child rows, streamed into its file layout.

The records are read through a server-side cursor where the database has one, in the list's
default order (then the key), a chunk at a time; each chunk's child rows come with one select,
in their relationship's order. Memory stays flat however many rows.
"""
import io
import os
import sys
import tempfile

from sqlalchemy import bindparam, func, select

from ..models import Change, make_change, new_uuid
from .engine import stored
from .layout import FileLayout
from .reading import writer

BATCH = 2000


def export_file(connection, spec, text_stream, progress=None, keys=None):
    """Write the table's file to `text_stream`; returns {name: rows written} (the table's and
    each child relationship's). `keys`: a select of the records' keys to export (a list's
    search and filters), or None for all. `progress`: a `progress.Progress`, or None."""
    phase = None
    if progress is not None:
        phase = progress.phase("exported", _total(connection, spec, keys))
    out = writer(text_stream)
    counts = {}
    for lines in export_chunks(connection, spec, keys, counts):
        out.writerows(lines)
        if phase is not None:
            phase.update_to(sum(counts.values()))
    if phase is not None:
        phase.close()
    return counts


def export_chunks(connection, spec, keys=None, counts=None):
    """Lists of the file's rows (cells), the header first, then a chunk of records at a time
    with their child rows. `counts` (a dict) gets the rows written per table."""
    layout = FileLayout(spec)
    counts = counts if counts is not None else {}
    counts.update({spec.name: 0, **{child.name: 0 for child in spec.children}})
    yield [layout.header]
    query = select(spec.key, *(f.column for f in spec.fields)).order_by(*spec.order)
    if keys is not None:
        query = query.where(spec.key.in_(keys.scalar_subquery()))
    # Per statement: Connection.execution_options would stream every later statement too.
    result = connection.execute(query.execution_options(stream_results=True, yield_per=BATCH))
    children = [(child, _child_query(child)) for child in spec.children]
    for rows in result.partitions():
        rows = [(row[0], tuple(stored(f, v) for f, v in zip(spec.fields, row[1:]))) for row in rows]
        under = {child.name: _child_rows(connection, child, query, [r[0] for r in rows])
                 for child, query in children}
        lines = []
        for key, values in rows:
            lines.append(layout.record_cells(key, values))
            for child in spec.children:
                for child_key, child_values in under[child.name].get(key, ()):
                    lines.append(layout.child_cells(child, child_key, child_values))
                    counts[child.name] += 1
        counts[spec.name] += len(rows)
        yield lines


def _child_query(child):
    return (select(child.parent_key, child.key, *(f.column for f in child.fields))
            .where(child.parent_key.in_(bindparam("keys", expanding=True)))
            .order_by(*child.order))


def _child_rows(connection, child, query, keys):
    """{parent key: [(key, values)]} of the child rows of records `keys`."""
    found = {}
    for row in connection.execute(query, {"keys": keys}):
        found.setdefault(row[0], []).append(
            (row[1], tuple(stored(f, v) for f, v in zip(child.fields, row[2:]))))
    return found


def _total(connection, spec, keys):
    """Rows the file will have (for progress)."""
    records = select(func.count()).select_from(spec.table)
    if keys is not None:
        records = records.where(spec.key.in_(keys.scalar_subquery()))
    total = connection.scalar(records)
    for child in spec.children:
        rows = select(func.count()).select_from(child.table)
        if keys is not None:
            rows = rows.where(child.parent_key.in_(keys.scalar_subquery()))
        total += connection.scalar(rows)
    return total


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def run_export(engine, spec, path, progress=None):
    """Export to the file at `path` ("-": standard output) in one read-only transaction.

    A file is written beside the target and renamed at the end, so a failed export
    never leaves half a file under the name asked for.
    """
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # One consistent snapshot for the count and the rows.
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if path == "-":
                stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="",
                                          write_through=False)
                try:
                    return export_file(connection, spec, stream, progress)
                finally:
                    stream.flush()
                    stream.detach()
            directory = os.path.dirname(os.path.abspath(path))
            handle, temporary = tempfile.mkstemp(prefix=".poser-export-", suffix=".csv",
                                                 dir=directory)
            try:
                with open(handle, "w", encoding="utf-8", newline="") as stream:
                    counts = export_file(connection, spec, stream, progress)
                os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 -> the usual mode
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
            return counts


def record_export(engine, spec, target, counts, runas=None):
    """An export changes no data, but who took what and when stays on record: one Change row
    (action "export", entity "<entity>-export"), shown under the table's Recent changes."""
    diff = {"file": target, "counts": counts}
    with engine.begin() as connection:
        connection.execute(Change.__table__.insert(), [make_change(
            "export", new_uuid(), target, diff, runas, "export", entity=f"{spec.entity}-export")])
