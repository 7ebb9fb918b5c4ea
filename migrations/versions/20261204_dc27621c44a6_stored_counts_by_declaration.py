"""stored counts by declaration: the component count's triggers made by models/stored_counts.py

poser_widget.component_count was kept by triggers this project wrote by hand (the
stored_component_count revision). The widget model now declares it (`__stored_counts__`) and
the framework makes its triggers from that declaration: the same counting (row triggers on
SQLite, statement triggers on PostgreSQL), under names a bulk writer can find, with a
PostgreSQL function a bulk writer can suspend for its own transaction (it then keeps the count
itself, a chunk at a time: transfer/counts.py). Every parent is recounted.

Revision ID: dc27621c44a6
Revises: 9d2b6c4e8a17
Create Date: 2026-12-04 16:00:00.000000+00:00

"""
import importlib.util
from pathlib import Path
from typing import Sequence, Union

from alembic import op

from poser_web.models.stored_counts import StoredCount, create_triggers, drop_triggers

# revision identifiers, used by Alembic.
revision: str = 'dc27621c44a6'
down_revision: Union[str, Sequence[str], None] = '9d2b6c4e8a17'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COMPONENT_COUNT = StoredCount("poser_widget", "component_count", "uuid",
                              "poser_component", "widget_uuid")


def _hand_written():
    """The stored_component_count revision (its triggers' SQL)."""
    path = Path(__file__).with_name("20261126_a3c5e7f90b12_stored_component_count.py")
    spec = importlib.util.spec_from_file_location("stored_component_count", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    _hand_written().drop_triggers()
    create_triggers(op.get_bind(), COMPONENT_COUNT)


def downgrade() -> None:
    drop_triggers(op.get_bind(), COMPONENT_COUNT)
    _hand_written().create_triggers()
