"""substring-search indexes on SQLite (FTS5 trigram tables kept by triggers)

The list pages search descriptions and item codes for "contains, ignoring
case". On SQLite that was a scan of every row (8 s at a million widgets with
their components); an FTS5 trigram table per searched column answers it from
an index (poser_web/db/search_index.py, poser_web/db/search.py). PostgreSQL has had
its trigram GIN indexes since 7c1e0a5d9b21: nothing to do there.

Revision ID: 5e1f0c2a9d47
Revises: 68c2d7e35996
Create Date: 2026-11-27 11:45:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op

from poser_web.db.search_index import create_search_index, drop_search_index

# revision identifiers, used by Alembic.
revision: str = '5e1f0c2a9d47'
down_revision: Union[str, Sequence[str], None] = '68c2d7e35996'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SEARCHED = (
    ("poser_widget", "description"),
    ("poser_component", "item_code"),
    ("poser_component", "description"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column in SEARCHED:
        create_search_index(table, column)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column in SEARCHED:
        drop_search_index(table, column)
