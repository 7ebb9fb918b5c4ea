"""datasync: change log kept by triggers, consumer state, parked changes, cursors

poser_datasync_change is written by triggers on poser_widget and poser_component
(poser_web/datasync/capture.py), for every writer. A component change is captured as a
change of its widget. The declarations below are frozen copies: later changes to
capture.CAPTURED need a migration of their own.

SQLite drops a table's triggers when batch mode rebuilds it: a later migration that
rebuilds poser_widget or poser_component must call create_triggers() for it again
(tests/datasync/test_datasync_capture.py fails otherwise).

Revision ID: 68c2d7e35996
Revises: b4c7e1d2f305
Create Date: 2026-11-27 11:45:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from poser_web.datasync.capture import Captured, create_triggers, drop_triggers

# revision identifiers, used by Alembic.
revision: str = '68c2d7e35996'
down_revision: Union[str, Sequence[str], None] = 'b4c7e1d2f305'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CAPTURED = (
    Captured("poser_widget", entity="widget", ignore=("component_count",)),
    Captured("poser_component", entity="widget", key="widget_uuid", child=True),
)

ChangeId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'poser_datasync_change',
        sa.Column('id', ChangeId, autoincrement=True, nullable=False),
        sa.Column('entity', sa.String(length=50), nullable=False),
        sa.Column('entity_key', sa.String(length=32), nullable=False),
        sa.Column('action', sa.String(length=6), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_poser_datasync_change')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_poser_datasync_change_entity_key', 'poser_datasync_change',
                    ['entity', 'entity_key'], unique=False)
    op.create_table(
        'poser_datasync_consumer',
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('kind', sa.String(length=100), nullable=False),
        sa.Column('cursor', ChangeId, server_default='0', nullable=False),
        sa.Column('last_success_at', sa.DateTime(), nullable=True),
        sa.Column('last_error_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_poser_datasync_consumer')),
    )
    op.create_table(
        'poser_datasync_parked',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('consumer', sa.String(length=50), nullable=False),
        sa.Column('change_id', ChangeId, nullable=False),
        sa.Column('entity', sa.String(length=50), nullable=False),
        sa.Column('entity_key', sa.String(length=32), nullable=False),
        sa.Column('action', sa.String(length=6), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('parked_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_poser_datasync_parked')),
        sa.UniqueConstraint('consumer', 'change_id', name='uq_poser_datasync_parked_consumer_change'),
    )
    op.create_index(op.f('ix_poser_datasync_parked_consumer'), 'poser_datasync_parked',
                    ['consumer'], unique=False)
    op.create_table(
        'poser_datasync_cursor',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('change_id', ChangeId, nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_poser_datasync_cursor')),
    )
    for captured in CAPTURED:
        create_triggers(op.get_bind(), captured)


def downgrade() -> None:
    for captured in CAPTURED:
        drop_triggers(op.get_bind(), captured)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS poser_datasync_lock()")
    op.drop_table('poser_datasync_cursor')
    op.drop_index(op.f('ix_poser_datasync_parked_consumer'), table_name='poser_datasync_parked')
    op.drop_table('poser_datasync_parked')
    op.drop_table('poser_datasync_consumer')
    op.drop_index('ix_poser_datasync_change_entity_key', table_name='poser_datasync_change')
    op.drop_table('poser_datasync_change')
