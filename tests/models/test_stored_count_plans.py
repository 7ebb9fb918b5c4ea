"""PostgreSQL's stored-count triggers (models/stored_counts.py) probe the parent's key per
statement, whatever the planner knows of the parent table: never analyzed (autovacuum off, a
fresh database) or analyzed while small. Their plans are cached for the session, so a plan
that scans the parents would make every component insert of a long-lived session read the
whole widget table. Counted in rows read, not seconds."""
import uuid

import pytest
from sqlalchemy import insert, text

from poser_web.tables.widgets.models import Component, Widget
from tests.databases import new_migrated_engine

pytestmark = pytest.mark.only_db("postgresql")

WIDGETS = 3000
# Rows of poser_widget this transaction read by sequential scans.
SCANNED = text("SELECT coalesce(seq_tup_read, 0) FROM pg_stat_xact_user_tables "
               "WHERE relname = 'poser_widget'")


@pytest.fixture
def new_database(scratch_databases):
    with new_migrated_engine(scratch_databases) as engine:
        yield engine


@pytest.mark.parametrize("analyzed_empty", [False, True])
def test_adding_components_one_at_a_time_never_scans_the_widgets(new_database, analyzed_empty):
    if analyzed_empty:  # the planner is told "the widget table is empty"
        with new_database.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE poser_widget"))
    with new_database.connect() as connection, connection.begin():
        # The foreign key's own check (PostgreSQL's) is planned per value here, so the scans
        # counted are the count trigger's: its statement has no parameters, its plan is made once.
        connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        # The table grows under the trigger's cached plan, made while it was tiny.
        for n in range(WIDGETS):  # one statement each: the trigger's plan is reused
            key = uuid.uuid4().hex
            connection.execute(insert(Widget), {"uuid": key, "description": f"widget {n}"})
            connection.execute(insert(Component), {"uuid": uuid.uuid4().hex, "widget_uuid": key,
                                                   "item_code": f"{n:08d}", "description": "part"})
        scanned = connection.execute(SCANNED).scalar()
        counts = connection.execute(text("SELECT min(component_count), max(component_count) "
                                         "FROM poser_widget")).one()
    assert tuple(counts) == (1, 1)
    # A scan of the widgets per insert reads ~WIDGETS**2 / 2 (4.5 million) here; while the
    # table is small the planner may rightly scan it (a few tens of thousands of rows in all).
    assert scanned <= 40 * WIDGETS, scanned
