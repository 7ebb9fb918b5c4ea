"""Consumer `poser`: another poser_web database (a second node, a reporting copy).

Each batch is applied in bulk in one transaction on the target (apply.py): records upserted
with their whole child sets, in foreign-key order, or deleted; a record referring to one the
target lacks gets that one shipped first. A record that differed gets one history entry there
(source `datasync`, user `runas`, noting the last change of it in the batch); one that did not
gets none. The cursor is stored in the target's poser_datasync_cursor in the same transaction
as the data: a crash can neither skip nor repeat a change.

Options: url (or url_env: the environment variable holding it), runas (an existing user on
the target), cursor_name (default: the consumer's name).
"""
import os

from alembic.runtime.migration import MigrationContext
from sqlalchemy import exc, insert, select, update
from sqlalchemy.engine import make_url

from ...db.engine import WRITE_OPTION, get_engine
from ...models import (ALEMBIC_VERSION_TABLE, Change, DatasyncCursor, User, make_change,
                       one_change_per_record, utcnow)
from ..apply import Source, apply_records
from ..bulk import insert_rows
from ..entities import plan_for_parameters
from .base import ChangeFailed, Consumer, ConsumerRefused, Unavailable

SOURCE = "datasync"
CURSOR = DatasyncCursor.__table__
UNREACHABLE = (exc.OperationalError, exc.InterfaceError)


def heads(connection):
    return set(MigrationContext.configure(
        connection, opts={"version_table": ALEMBIC_VERSION_TABLE}).get_current_heads())


def target_url(name, options):
    variable = options.get("url_env")
    url = os.environ.get(variable) if variable else options.get("url")
    if not url:
        raise ConsumerRefused(f"consumer {name}: set url (or url_env) to the target database")
    return url


class PoserConsumer(Consumer):
    kind = "poser"
    cursor_in_target = True

    def __init__(self, name, options, source_engine):
        super().__init__(name, options, source_engine)
        self.url = target_url(name, options)
        self.runas = self.option("runas")
        self.cursor_name = options.get("cursor_name") or name
        self.engine = None
        self.source = None  # the source's captured entities, read on opening
        self.known = None   # the cursor as this process last read or wrote it

    def describe(self):
        return make_url(self.url).render_as_string(hide_password=True)

    def open(self):
        if self.engine is None:
            self.engine = plan_for_parameters(get_engine({"sqlalchemy.url": self.url,
                                                          "sqlalchemy.pool_pre_ping": "true"}))
        try:
            with self.source_engine.connect() as connection:
                source_heads = heads(connection)
            with self.engine.connect() as connection:
                target_heads = heads(connection)
                user = connection.scalar(select(User.uuid).where(User.username == self.runas))
        except UNREACHABLE as error:
            raise Unavailable(f"target {self.describe()} unreachable: {error.orig or error}") from None
        if target_heads != source_heads:
            raise ConsumerRefused(
                f"consumer {self.name}: the target {self.describe()} is at migration "
                f"{', '.join(sorted(target_heads)) or '(none)'} but this database is at "
                f"{', '.join(sorted(source_heads))}: run `alembic upgrade heads` on both first")
        if user is None:
            raise ConsumerRefused(f"consumer {self.name}: runas user {self.runas!r} does not exist "
                                  f"on the target {self.describe()}: add it there "
                                  "(`poser adduser`)")
        self.source = Source.of(self.source_engine)

    def close(self):
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def get_cursor(self):
        try:
            with self.engine.connect() as connection:
                self.known = connection.scalar(select(CURSOR.c.change_id)
                                               .where(CURSOR.c.name == self.cursor_name))
                return self.known
        except UNREACHABLE as error:
            raise Unavailable(f"target {self.describe()} unreachable: {error.orig or error}") from None

    def apply(self, changes, cursor):
        try:
            with self.engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
                self.write(connection, changes)
                if cursor is not None:
                    move_cursor(connection, self.cursor_name, self.known, cursor)
        except UNREACHABLE as error:
            raise Unavailable(f"target {self.describe()}: {error.orig or error}") from None
        if cursor is not None:
            self.known = cursor

    def write(self, connection, changes):
        """Apply the batch: every changed record once, as it is now; its history entries."""
        one_change_per_record(connection)   # the target captures what it is given, once
        wanted, last = {}, {}
        for change in changes:
            wanted.setdefault(change.entity, {})[change.key] = change.record
            last[change.target] = change.id
        if len(changes) == 1:   # the daemon narrowed a failing batch down to this change
            try:
                applied = self.apply_records(connection, wanted)
            except UNREACHABLE:
                raise
            except Exception as error:
                raise ChangeFailed(changes[0], f"{type(error).__name__}: {error}") from error
        else:
            applied = self.apply_records(connection, wanted)
        now = utcnow()   # one moment: the batch is one transaction
        history = [history_row(a, last.get((a.entity, a.key)) or changes[-1].id, self.runas,
                               when=now) for a in applied]
        if history:
            insert_rows(connection, Change.__table__, history)

    def apply_records(self, connection, wanted):
        return apply_records(connection, wanted, source=self.source)


def history_row(applied, change_id, runas, note=None, when=None):
    """The history entry of one applied record on the target (written at `when`, else now)."""
    values = make_change(applied.action, applied.key, applied.label, applied.diff, runas, SOURCE,
                         entity=applied.entity)
    note = note or f" (datasync change {change_id})"
    values["summary"] = values["summary"][:255 - len(note)] + note
    values["changed_at"] = when or utcnow()
    return values


class CursorMoved(Unavailable):
    """Someone else (a second daemon, a catch-up) moved the cursor: re-read it, apply nothing."""


def move_cursor(connection, name, expected, change_id):
    """Compare and set, in the data's transaction: two daemons on one target never both apply."""
    if expected is None:
        try:
            with connection.begin_nested():
                connection.execute(insert(CURSOR).values(name=name, change_id=change_id,
                                                         updated_at=utcnow()))
            return
        except exc.IntegrityError:
            raise CursorMoved(f"cursor {name} appeared meanwhile: re-reading it") from None
    moved = connection.execute(update(CURSOR).where(
        CURSOR.c.name == name, CURSOR.c.change_id == expected).values(
        change_id=change_id, updated_at=utcnow())).rowcount
    if not moved:
        raise CursorMoved(f"cursor {name} is no longer at {expected}: re-reading it")


def store_cursor(connection, name, change_id):
    done = connection.execute(update(CURSOR).where(CURSOR.c.name == name).values(
        change_id=change_id, updated_at=utcnow())).rowcount
    if not done:
        connection.execute(insert(CURSOR).values(name=name, change_id=change_id,
                                                 updated_at=utcnow()))
