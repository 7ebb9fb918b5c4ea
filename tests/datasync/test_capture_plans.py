"""PostgreSQL's capture triggers cost one index probe per written key, whatever the planner
statistics of poser_datasync_change: never analyzed (autovacuum off, a fresh database) or
analyzed while empty. Their plans are cached for the session, so a plan that scans the
transaction's changes would make a long transaction of one-row statements quadratic (seeding
100,000 widgets: 800 M index tuples read). Counted in rows read, not seconds."""
import uuid

import pytest
from sqlalchemy import func, insert, select, text, update

from poser_web.models import DatasyncChange
from poser_web.tables.widgets.models import Component, Widget
from tests.databases import new_migrated_engine

pytestmark = pytest.mark.only_db("postgresql")

WIDGETS = 3000
# Rows of poser_datasync_change the current transaction read, by index or by scan.
READ = text("SELECT coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = 'poser_datasync_change'")
STATISTICS = text("SELECT reltuples FROM pg_class WHERE relname = 'poser_datasync_change'")


@pytest.fixture
def new_database(scratch_databases):
    with new_migrated_engine(scratch_databases) as engine:
        yield engine


def write_one_row_at_a_time(connection):
    """Widgets, a component each, then each widget edited: one statement per row, one
    transaction. Returns the number of statements."""
    keys = [uuid.uuid4().hex for _ in range(WIDGETS)]
    for n, key in enumerate(keys):
        connection.execute(insert(Widget), {"uuid": key, "description": f"widget {n}"})
        connection.execute(insert(Component), {"uuid": uuid.uuid4().hex, "widget_uuid": key,
                                               "item_code": f"{n:08d}", "description": "part"})
    for key in keys:
        connection.execute(update(Widget).where(Widget.uuid == key).values(description="edited"))
    return 3 * WIDGETS


def assert_linear(engine):
    with engine.connect() as connection, connection.begin():
        statements = write_one_row_at_a_time(connection)
        read = connection.execute(READ).scalar()
        changes = connection.scalar(select(func.count()).select_from(DatasyncChange))
    assert changes == WIDGETS                     # still one change per widget
    # Each statement probes its key: at most a row or two. A scan of the transaction's
    # changes per statement reads ~WIDGETS**2 (millions) here.
    assert read <= 2 * statements, read


def test_never_analyzed_the_triggers_probe_each_key(new_database):
    with new_database.connect() as connection:
        assert connection.execute(STATISTICS).scalar() < 0   # no statistics at all
    assert_linear(new_database)


def test_analyzed_empty_the_triggers_still_probe_each_key(new_database):
    with new_database.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE poser_datasync_change"))   # "the table is empty"
    assert_linear(new_database)
