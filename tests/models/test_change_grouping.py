"""SQLite folds a transaction's datasync changes (models/change_grouping.py) reading only the
rows that transaction wrote: a save costs the same whatever the size of the change log (a
daemon that is behind, or no consumer yet, leaves many rows there)."""
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from poser_web.models import DatasyncChange
from poser_web.tables.widgets.models import Component, Widget
from tests.databases import new_migrated_engine

pytestmark = pytest.mark.only_db("sqlite")

OLD_CHANGES = 30_000


@pytest.fixture
def new_database(scratch_databases):
    with new_migrated_engine(scratch_databases) as engine:
        yield engine


def save_steps(engine):
    """SQLite virtual-machine steps (in hundreds) spent committing one widget saved with 3
    components; the changes it left in the log."""
    with Session(engine) as session:
        widget = Widget(uuid=uuid.uuid4().hex, description="folded")
        widget.components = [Component(uuid=uuid.uuid4().hex, item_code=f"C{n}", description=f"part {n}") for n in range(3)]
        session.add(widget)
        session.flush()
        widget.description = "folded, then renamed"
        session.flush()
        keys = [widget.uuid] + [c.uuid for c in widget.components]
        steps = [0]

        def count():
            steps[0] += 1

        driver = session.connection().connection.driver_connection
        driver.set_progress_handler(count, 100)
        session.commit()
        driver.set_progress_handler(None, 100)
    with engine.connect() as connection:
        changes = connection.execute(select(DatasyncChange.entity, DatasyncChange.action)
                                     .where(DatasyncChange.entity_key.in_(keys))).all()
    return steps[0], changes


def test_a_save_folds_its_own_changes_whatever_the_log_holds(new_database):
    small_steps, _ = save_steps(new_database)
    with new_database.begin() as connection:
        connection.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO poser_datasync_change (entity, entity_key, action, changed_at) "
            "SELECT 'widget', hex(randomblob(16)), 'upsert', '2026-01-01' FROM n", (OLD_CHANGES,))
    big_steps, changes = save_steps(new_database)
    # Still one change: the widget, its components shipped with it.
    assert changes == [("widget", "upsert")]
    # Scanning the old rows would cost well over 30,000 steps (300 hundreds) more.
    assert big_steps < small_steps + 100, (small_steps, big_steps)
