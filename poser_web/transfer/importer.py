"""`poser import`: widgets and components from the CSV layout, all or nothing, in bulk.

Steps, in one transaction: load the widget and component tables into dicts (plain selects);
read and check the whole file (`layout.read_file`, which stops at the first bad line); compare
file and database into a `Plan`; write the plan with SQLAlchemy Core bulk statements
(`writer.write_plan`). The ORM's history and version listeners do not see Core statements,
so the plan carries the Change rows (`make_change`, the web form's diff shape) and bumps
`Widget.version` itself.
"""
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select, text

from ..models import WRITE_OPTION, Component, User, Widget, make_change, new_uuid, utcnow
from . import layout
from .writer import write_plan

SOURCE = "import"
# SQLite's page cache for the import's connection (KiB; its default is 2 MiB): with every
# index of the two tables in memory, bulk writes do not thrash. Restored afterwards.
SQLITE_CACHE_KIB = 65536

W, C = Widget.__table__, Component.__table__


class UnknownUser(Exception):
    """--runas names no user."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    widgets: Counts = field(default_factory=Counts)
    components: Counts = field(default_factory=Counts)
    rows: int = 0
    dry_run: bool = False
    seconds: float = 0.0

    def table(self):
        head = f"{'':12}{'created':>9}{'updated':>9}{'deleted':>9}{'unchanged':>11}"
        lines = [head]
        for name, counts in (("widgets", self.widgets), ("components", self.components)):
            lines.append(f"{name:12}{counts.created:>9,}{counts.updated:>9,}{counts.deleted:>9,}"
                         f"{counts.unchanged:>11,}")
        return "\n".join(lines)

    @property
    def rows_per_second(self):
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class Plan:
    widget_inserts: list = field(default_factory=list)
    component_inserts: list = field(default_factory=list)
    widget_updates: list = field(default_factory=list)
    component_updates: list = field(default_factory=list)
    widget_deletes: list = field(default_factory=list)
    component_deletes: list = field(default_factory=list)
    changes: list = field(default_factory=list)

    def size(self):
        return sum(len(rows) for rows in (
            self.widget_inserts, self.component_inserts, self.widget_updates,
            self.component_updates, self.widget_deletes, self.component_deletes, self.changes))


class Database:
    """The widget and component tables as dicts, loaded once with plain selects."""

    def __init__(self, connection):
        self.widgets = {uuid: (description, active) for uuid, description, active in
                        connection.execute(select(W.c.uuid, W.c.description, W.c.active))}
        # uuid -> (widget_uuid, item_code, description, active)
        self.components = {}
        self.by_widget = {}
        for uuid, widget_uuid, item_code, description, active in connection.execute(
                select(C.c.uuid, C.c.widget_uuid, C.c.item_code, C.c.description, C.c.active)):
            self.components[uuid] = (widget_uuid, item_code, description, active)
            self.by_widget.setdefault(widget_uuid, []).append(uuid)

    def owners(self):
        return {uuid: row[0] for uuid, row in self.components.items()}

    def component_values(self, uuid):
        _, item_code, description, active = self.components[uuid]
        return {"uuid": uuid, "item_code": item_code, "description": description, "active": active}


def _row_values(uuid, row):
    return {"uuid": uuid, "item_code": row.item_code, "description": row.description,
            "active": row.active}


def make_plan(database, widgets, report, runas=None, delete_missing=False, when=None):
    """Compare the file's `widgets` with `database`: what to write, counted in `report`."""
    when = when or utcnow()
    plan = Plan()
    wcount, ccount = report.widgets, report.components
    in_file = set()
    db_widgets, db_components = database.widgets, database.components

    for row in widgets:
        existing = db_widgets.get(row.uuid) if row.uuid is not None else None
        if existing is None:
            uuid = row.uuid or new_uuid()
            plan.widget_inserts.append({"uuid": uuid, "description": row.description,
                                        "active": row.active, "version": 1})
            added = []
            for component in row.components:
                c_uuid = component.uuid or new_uuid()
                plan.component_inserts.append({
                    "uuid": c_uuid, "widget_uuid": uuid, "item_code": component.item_code,
                    "description": component.description, "active": component.active})
                added.append(_row_values(c_uuid, component))
            wcount.created += 1
            ccount.created += len(added)
            diff = {"fields": {"description": [None, row.description], "active": [None, row.active]}}
            if added:
                diff["components"] = {"added": added}
            plan.changes.append(make_change("create", uuid, row.description, diff, runas, SOURCE,
                                            when))
            continue

        uuid = row.uuid
        in_file.add(uuid)
        fields = {}
        if existing[0] != row.description:
            fields["description"] = [existing[0], row.description]
        if existing[1] != row.active:
            fields["active"] = [existing[1], row.active]
        added, changed, kept = [], [], set()
        for component in row.components:
            old = db_components.get(component.uuid) if component.uuid is not None else None
            if old is None:
                c_uuid = component.uuid or new_uuid()
                plan.component_inserts.append({
                    "uuid": c_uuid, "widget_uuid": uuid, "item_code": component.item_code,
                    "description": component.description, "active": component.active})
                added.append(_row_values(c_uuid, component))
                continue
            # old[0] == uuid: layout.read_file refused components of other widgets.
            kept.add(component.uuid)
            c_fields = {}
            if old[1] != component.item_code:
                c_fields["item_code"] = [old[1], component.item_code]
            if old[2] != component.description:
                c_fields["description"] = [old[2], component.description]
            if old[3] != component.active:
                c_fields["active"] = [old[3], component.active]
            if c_fields:
                plan.component_updates.append({
                    "key_uuid": component.uuid, "item_code": component.item_code,
                    "description": component.description, "active": component.active})
                changed.append({"uuid": component.uuid, "item_code": component.item_code,
                                "fields": c_fields})
            else:
                ccount.unchanged += 1
        removed = [database.component_values(c_uuid)
                   for c_uuid in database.by_widget.get(uuid, ()) if c_uuid not in kept]
        removed.sort(key=lambda values: (values["item_code"], values["uuid"]))
        plan.component_deletes.extend(values["uuid"] for values in removed)
        ccount.created += len(added)
        ccount.updated += len(changed)
        ccount.deleted += len(removed)
        if not (fields or added or changed or removed):
            wcount.unchanged += 1
            continue
        wcount.updated += 1
        plan.widget_updates.append({"key_uuid": uuid, "description": row.description,
                                    "active": row.active})
        diff = {"fields": fields} if fields else {}
        rows = {key: value for key, value in
                (("added", added), ("changed", changed), ("removed", removed)) if value}
        if rows:
            diff["components"] = rows
        plan.changes.append(make_change("update", uuid, row.description, diff, runas, SOURCE, when))

    if delete_missing:
        for uuid, (description, active) in db_widgets.items():
            if uuid in in_file:
                continue
            removed = [database.component_values(c_uuid)
                       for c_uuid in database.by_widget.get(uuid, ())]
            removed.sort(key=lambda values: (values["item_code"], values["uuid"]))
            plan.component_deletes.extend(values["uuid"] for values in removed)
            plan.widget_deletes.append(uuid)
            wcount.deleted += 1
            ccount.deleted += len(removed)
            diff = {"fields": {"description": [description, None], "active": [active, None]}}
            if removed:
                diff["components"] = {"removed": removed}
            plan.changes.append(make_change("delete", uuid, description, diff, runas, SOURCE, when))
    return plan


def check_runas(connection, runas):
    if runas is None:
        return
    users = User.__table__
    found = connection.scalar(select(users.c.uuid).where(users.c.username == runas))
    if found is None:
        raise UnknownUser(f"no user named {runas!r}: --runas must name an existing user "
                          "(add one with `poser adduser`)")


def import_file(connection, binary_stream, runas=None, delete_missing=False, dry_run=False,
                progress=None, total_rows=0):
    """Import from an open binary file on `connection` (inside the caller's transaction).

    Raises `layout.LayoutError` (nothing written) for a bad file, `UnknownUser` for a bad runas.
    Returns the `ImportReport`; with `dry_run` nothing is written.
    """
    started = time.perf_counter()
    check_runas(connection, runas)
    layout.check_header(binary_stream)  # a wrong file fails before any loading
    database = Database(connection)
    report = ImportReport(dry_run=dry_run)
    phase = progress.phase("validated", total_rows) if progress is not None else None
    widgets = layout.read_file(binary_stream, database.owners(),
                               phase.update_to if phase is not None else None)
    if phase is not None:
        phase.close()
    report.rows = len(widgets) + sum(len(row.components) for row in widgets)
    plan = make_plan(database, widgets, report, runas, delete_missing)
    del widgets, database
    if not dry_run:
        phase = progress.phase("written", plan.size()) if progress is not None else None
        write_plan(connection, plan, phase)
        if phase is not None:
            phase.close()
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _sqlite_cache(connection):
    """SQLite: a bigger page cache for this connection while the import runs."""
    if connection.dialect.name != "sqlite":
        yield
        return
    cursor = connection.connection.driver_connection.cursor()  # outside any transaction
    try:
        previous = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size={int(previous)}")
    finally:
        cursor.close()


def run_import(engine, path, runas=None, delete_missing=False, dry_run=False, progress=None):
    """Import the file at `path` in one transaction: committed, or rolled back on any error
    and always for a dry run."""
    started = time.perf_counter()
    with open(path, "rb") as stream:
        total = max(layout.count_lines(stream) - 1, 0) if progress is not None else 0
        if dry_run:
            options = ({"isolation_level": "REPEATABLE READ"}
                       if engine.dialect.name == "postgresql" else {})
        else:
            options = {WRITE_OPTION: True}  # SQLite: BEGIN IMMEDIATE, writers queue behind us
        with engine.connect() as connection, _sqlite_cache(connection):
            connection = connection.execution_options(**options)
            transaction = connection.begin()
            try:
                if not dry_run and engine.dialect.name == "postgresql":
                    # Nobody else writes widgets or components until we commit (readers may).
                    connection.execute(text(f"LOCK TABLE {W.name}, {C.name} "
                                            "IN SHARE ROW EXCLUSIVE MODE"))
                report = import_file(connection, stream, runas, delete_missing, dry_run,
                                     progress, total)
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()
            else:
                transaction.commit()
    report.seconds = time.perf_counter() - started  # reading, checking, writing and committing
    return report
