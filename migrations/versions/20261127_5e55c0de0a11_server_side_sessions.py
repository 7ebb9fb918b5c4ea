"""server-side sessions

The session cookie carried the user's key, a password-hash fingerprint and the
CSRF token, readable by whoever held it, and logging out could not end a
copied cookie. Sessions now live in poser_session; the cookie holds a random
token whose HMAC-SHA256 (under poser.secret) is the row's id.

Revision ID: 5e55c0de0a11
Revises: a3c5e7f90b12
Create Date: 2026-11-27 12:00:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '5e55c0de0a11'
down_revision: Union[str, Sequence[str], None] = 'a3c5e7f90b12'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'poser_session',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_uuid', sa.String(length=32), nullable=True),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_uuid'], ['poser_user.uuid'],
                                name=op.f('fk_poser_session_user_uuid_poser_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_poser_session')),
    )
    with op.batch_alter_table('poser_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poser_session_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_poser_session_last_seen_at'), ['last_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_poser_session_user_uuid'), ['user_uuid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('poser_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poser_session_user_uuid'))
        batch_op.drop_index(batch_op.f('ix_poser_session_last_seen_at'))
        batch_op.drop_index(batch_op.f('ix_poser_session_created_at'))
    op.drop_table('poser_session')
