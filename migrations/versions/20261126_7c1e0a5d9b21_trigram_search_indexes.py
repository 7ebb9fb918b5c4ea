"""trigram indexes for searching text on PostgreSQL

The list pages search with ILIKE '%text%', which no b-tree index serves;
pg_trgm's GIN indexes do. SQLite has no such index: nothing to do there.
migrations/env.py leaves indexes named *_trgm out of autogenerate, because
the models cannot declare a PostgreSQL-only index.

Revision ID: 7c1e0a5d9b21
Revises: 6541cad99df5
Create Date: 2026-11-26 17:20:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '7c1e0a5d9b21'
down_revision: Union[str, Sequence[str], None] = '6541cad99df5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRIGRAM_INDEXES = (
    ("ix_poser_widget_description_trgm", "poser_widget", "description"),
    ("ix_poser_component_item_code_trgm", "poser_component", "item_code"),
    ("ix_poser_component_description_trgm", "poser_component", "description"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # A trusted extension since PostgreSQL 13: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        op.create_index(name, table, [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _ in TRIGRAM_INDEXES:
        op.drop_index(name, table_name=table)
