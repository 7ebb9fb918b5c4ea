"""stored component count, kept by triggers

Sorting the widget list by component count counted every widget's
components (12 s at a million widgets on PostgreSQL). The count is now a
column of poser_widget, indexed with uuid like the other sorts, and the
database keeps it right for every writer (ORM, importer's bulk COPY, raw
SQL): row triggers on SQLite, statement triggers with transition tables on
PostgreSQL (one UPDATE per statement, however many rows it wrote).

SQLite drops a table's triggers when batch mode rebuilds it: a later
migration that rebuilds poser_component must call create_triggers() again
(tests/tables/widgets/test_component_count.py fails if the counts stop following).

Revision ID: a3c5e7f90b12
Revises: d8aa3681dbb5
Create Date: 2026-11-26 19:50:00.000000+00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'a3c5e7f90b12'
down_revision: Union[str, Sequence[str], None] = 'd8aa3681dbb5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SQLITE_TRIGGERS = {
    "poser_component_count_insert": """
        CREATE TRIGGER poser_component_count_insert AFTER INSERT ON poser_component
        BEGIN
            UPDATE poser_widget SET component_count = component_count + 1 WHERE uuid = NEW.widget_uuid;
        END""",
    "poser_component_count_delete": """
        CREATE TRIGGER poser_component_count_delete AFTER DELETE ON poser_component
        BEGIN
            UPDATE poser_widget SET component_count = component_count - 1 WHERE uuid = OLD.widget_uuid;
        END""",
    "poser_component_count_move": """
        CREATE TRIGGER poser_component_count_move AFTER UPDATE OF widget_uuid ON poser_component
        WHEN NEW.widget_uuid <> OLD.widget_uuid
        BEGIN
            UPDATE poser_widget SET component_count = component_count - 1 WHERE uuid = OLD.widget_uuid;
            UPDATE poser_widget SET component_count = component_count + 1 WHERE uuid = NEW.widget_uuid;
        END""",
}

# One function for the three statements; each trigger names only the
# transition tables its statement has.
POSTGRESQL_FUNCTION = """
CREATE FUNCTION poser_component_count_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE poser_widget w SET component_count = w.component_count + d.delta
        FROM (SELECT widget_uuid, count(*) AS delta FROM new_components GROUP BY widget_uuid) d
        WHERE w.uuid = d.widget_uuid;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE poser_widget w SET component_count = w.component_count - d.delta
        FROM (SELECT widget_uuid, count(*) AS delta FROM old_components GROUP BY widget_uuid) d
        WHERE w.uuid = d.widget_uuid;
    ELSE
        UPDATE poser_widget w SET component_count = w.component_count + d.delta
        FROM (SELECT widget_uuid, sum(delta) AS delta FROM (
                  SELECT widget_uuid, 1 AS delta FROM new_components
                  UNION ALL
                  SELECT widget_uuid, -1 FROM old_components) moves
              GROUP BY widget_uuid HAVING sum(delta) <> 0) d
        WHERE w.uuid = d.widget_uuid;
    END IF;
    RETURN NULL;
END $$"""

POSTGRESQL_TRIGGERS = {
    "poser_component_count_insert": "AFTER INSERT ON poser_component "
                                    "REFERENCING NEW TABLE AS new_components",
    "poser_component_count_delete": "AFTER DELETE ON poser_component "
                                    "REFERENCING OLD TABLE AS old_components",
    "poser_component_count_move": "AFTER UPDATE ON poser_component "
                                  "REFERENCING OLD TABLE AS old_components NEW TABLE AS new_components",
}


def create_triggers():
    """The triggers that keep poser_widget.component_count right."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for name, when in POSTGRESQL_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT "
                       "EXECUTE FUNCTION poser_component_count_sync()")
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def drop_triggers():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON poser_component" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS poser_component_count_sync()")


def upgrade() -> None:
    with op.batch_alter_table('poser_widget', schema=None) as batch_op:
        batch_op.add_column(sa.Column('component_count', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE poser_widget SET component_count = (SELECT count(*) FROM poser_component "
               "WHERE poser_component.widget_uuid = poser_widget.uuid)")
    with op.batch_alter_table('poser_widget', schema=None) as batch_op:
        batch_op.create_index('ix_poser_widget_component_count_uuid', ['component_count', 'uuid'], unique=False)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    with op.batch_alter_table('poser_widget', schema=None) as batch_op:
        batch_op.drop_index('ix_poser_widget_component_count_uuid')
        batch_op.drop_column('component_count')
