"""`poser export`: every widget with its components, streamed into the CSV layout.

One query (widgets left-joined to their components, in export order) read through a
server-side cursor where the database has one, so memory stays flat however many rows.
"""
import io
import os
import sys
import tempfile

from sqlalchemy import func, select

from ..models import Change, make_change, new_uuid
from ..tables.widgets.models import Component, Widget
from . import layout

BATCH = 2000


def export_query():
    w, c = Widget.__table__.c, Component.__table__.c
    return (select(w.uuid, w.description, w.active, c.uuid, c.item_code, c.description, c.active)
            .select_from(Widget.__table__.outerjoin(Component.__table__, c.widget_uuid == w.uuid))
            .order_by(w.description, w.uuid, c.item_code, c.uuid))


def export_file(connection, text_stream, progress=None):
    """Write the whole CSV to `text_stream`; returns (widgets, components) written.

    `progress`: a `progress.Progress`, or None for none.
    """
    phase = None
    if progress is not None:
        total = (connection.scalar(select(func.count()).select_from(Widget.__table__))
                 + connection.scalar(select(func.count()).select_from(Component.__table__)))
        phase = progress.phase("exported", total)
    out = layout.writer(text_stream)
    out.writerow(layout.HEADER)
    widget_row, component_row = layout.widget_fields, layout.component_fields
    widgets = components = 0
    current = None
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
        export_query())
    for rows in result.partitions():
        lines = []
        for w_uuid, w_description, w_active, c_uuid, c_code, c_description, c_active in rows:
            if w_uuid != current:
                current = w_uuid
                widgets += 1
                lines.append(widget_row(w_uuid, w_description, w_active))
            if c_uuid is not None:
                components += 1
                lines.append(component_row(c_uuid, c_code, c_description, c_active))
        out.writerows(lines)
        if phase is not None:
            phase.update_to(widgets + components)
    if phase is not None:
        phase.close()
    return widgets, components


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def run_export(engine, path, progress=None):
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
                    return export_file(connection, stream, progress)
                finally:
                    stream.flush()
                    stream.detach()
            directory = os.path.dirname(os.path.abspath(path))
            handle, temporary = tempfile.mkstemp(prefix=".poser-export-", suffix=".csv",
                                                 dir=directory)
            try:
                with open(handle, "w", encoding="utf-8", newline="") as stream:
                    counts = export_file(connection, stream, progress)
                os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 -> the usual mode
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
            return counts


# Change.entity of export records: listed with the widgets' Recent changes.
EXPORT_ENTITY = "widget-export"


def record_export(engine, target, widgets, components, runas=None):
    """An export changes no data, but who took what and when stays on record.

    It is one Change row (action "export"), shown under Widgets › Recent changes.
    """
    diff = {"file": target, "widgets": widgets, "components": components}
    with engine.begin() as connection:
        connection.execute(Change.__table__.insert(), [make_change(
            "export", new_uuid(), target, diff, runas, "export", entity=EXPORT_ENTITY)])
