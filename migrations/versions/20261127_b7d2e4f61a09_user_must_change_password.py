"""user must change password (temporary passwords set by an administrator)

Revision ID: b7d2e4f61a09
Revises: 5e55c0de0a11
Create Date: 2026-11-27 11:40:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'b7d2e4f61a09'
down_revision: Union[str, Sequence[str], None] = '5e55c0de0a11'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (no batch rebuild of poser_user).
    op.add_column('poser_user', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('poser_user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
