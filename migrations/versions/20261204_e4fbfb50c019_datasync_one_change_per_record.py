"""datasync: one change per record per transaction; captures that carry their declaration

A widget saved with k components was captured as 2k+1 changes on SQLite and k+1 on
PostgreSQL. The capture triggers are made again by the current mechanism
(poser_web/datasync/capture.py): on PostgreSQL a record gets one change per transaction
(looked up through the new (entity, entity_key, id) index); on SQLite the app's writers fold
their transaction's rows (poser_web/models/change_grouping.py). Each capture now carries its
declaration, so `alembic check` compares it with the models' `__datasync__` declarations.

Revision ID: e4fbfb50c019
Revises: 5e1f0c2a9d47
Create Date: 2026-12-04 05:00:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op

from poser_web.datasync.capture import Captured

# revision identifiers, used by Alembic.
revision: str = 'e4fbfb50c019'
down_revision: Union[str, Sequence[str], None] = '5e1f0c2a9d47'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('poser_datasync_change', schema=None) as batch_op:
        batch_op.drop_index('ix_poser_datasync_change_entity_key')
        batch_op.create_index('ix_poser_datasync_change_entity_key_id',
                              ['entity', 'entity_key', 'id'], unique=False)
    op.create_datasync_capture(
        Captured("poser_widget", entity="widget", ignore=("component_count",)),
        Captured("poser_component", entity="widget", key="widget_uuid", child=True),
    )


def downgrade() -> None:
    # The captures stay as they are: they work without the index, and 68c2d7e35996's
    # downgrade removes them.
    with op.batch_alter_table('poser_datasync_change', schema=None) as batch_op:
        batch_op.drop_index('ix_poser_datasync_change_entity_key_id')
        batch_op.create_index('ix_poser_datasync_change_entity_key',
                              ['entity', 'entity_key'], unique=False)
