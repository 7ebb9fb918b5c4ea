"""batch worker

Execute runs in a background thread: the batch names the process running it (host, pid,
start time), so a batch left "executing" by a process that died can be told from a slow one
and executed again.

Revision ID: c3a9e5b1d7f2
Revises: 7f6e103d85d3
Create Date: 2026-12-04 09:50:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c3a9e5b1d7f2'
down_revision: Union[str, Sequence[str], None] = '7f6e103d85d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('poser_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('poser_batch', schema=None) as batch_op:
        batch_op.drop_column('worker')
