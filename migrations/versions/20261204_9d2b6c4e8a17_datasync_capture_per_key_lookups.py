"""datasync: capture triggers that look up each key on its own

On PostgreSQL the capture triggers looked up a statement's keys among the transaction's
changes with a join and a NOT EXISTS. With no planner statistics on poser_datasync_change
(autovacuum off, a fresh database never analyzed) the plan cached early scanned every change
of the entity written since the transaction began, for every statement: one-row statements
in a long transaction went quadratic (100k widgets: 800 M index tuples fetched). Mechanism 3
(poser_web/datasync/capture.py) looks each key up through a LATERAL subquery that can only
use the full (entity, entity_key, id) index condition, in functions run with enable_seqscan
off (an ANALYZE of the empty table would otherwise cache a sequential scan: no ANALYZE here,
on purpose). SQLite's triggers are unchanged but are made again with the new signature.

Revision ID: 9d2b6c4e8a17
Revises: c3a9e5b1d7f2
Create Date: 2026-12-04 13:20:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op

from poser_web.datasync.capture import Captured

# revision identifiers, used by Alembic.
revision: str = '9d2b6c4e8a17'
down_revision: Union[str, Sequence[str], None] = 'c3a9e5b1d7f2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_datasync_capture(
        Captured("poser_widget", entity="widget", ignore=("component_count",)),
        Captured("poser_component", entity="widget", key="widget_uuid", child=True),
    )


def downgrade() -> None:
    # The per-key triggers stay: they record exactly what the older ones did.
    pass
