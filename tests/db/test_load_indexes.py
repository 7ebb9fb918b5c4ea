"""PostgreSQL: a big load drops a table's plain indexes and builds them again before commit
(load_indexes.py); unique indexes and a foreign key's index stay all along, and afterwards the
database has exactly the indexes it had."""
import pytest
from sqlalchemy import event, func, select, text

from poser_web.db.load_indexes import load_indexes
from poser_web.tables.widgets.models import Component, Widget
from poser_web.transfer import LayoutError, run_import
from tests.db.test_search_bulk import WIDGETS, write_file
from tests.helpers import statements_run

# SQLite keeps its b-tree indexes (only its FTS triggers are deferred): PostgreSQL's alone.
pytestmark = pytest.mark.only_db("postgresql")


@pytest.fixture
def pg(fresh):
    return fresh


def indexes(engine):
    with engine.connect() as connection:
        return dict(connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")).all())


def test_the_plain_indexes_are_the_ones_a_load_may_rebuild(pg):
    with pg.connect() as connection:
        assert set(load_indexes(connection, Component.__table__)) == {
            "ix_poser_component_active", "ix_poser_component_description",
            "ix_poser_component_item_code_uuid", "ix_poser_component_description_trgm",
            "ix_poser_component_item_code_trgm"}  # not the key's, not the foreign key's
        assert set(load_indexes(connection, Widget.__table__, ["ix_poser_widget_description_trgm"])) == {
            "ix_poser_widget_active", "ix_poser_widget_active_description_uuid",
            "ix_poser_widget_component_count_uuid", "ix_poser_widget_description_uuid",
            "ix_poser_widget_description_trgm"}


def test_a_big_load_rebuilds_plain_indexes_and_leaves_the_indexes_as_they_were(
        pg, small_threshold, tmp_path):
    before = indexes(pg)
    with statements_run(pg) as statements:
        run_import(pg, WIDGETS, write_file(tmp_path / "a.csv", 300))
    seen = [s.split()[-1] for s in statements if s.startswith("DROP INDEX")]
    assert "ix_poser_component_item_code_uuid" in seen and "ix_poser_widget_active" in seen
    assert not {"pk_poser_widget", "pk_poser_component", "ix_poser_component_widget_uuid"} & set(seen)
    assert indexes(pg) == before
    with pg.connect() as connection:  # the rebuilt indexes hold every row
        connection.execute(text("SET enable_seqscan = off"))
        assert connection.scalar(select(func.count()).select_from(Component.__table__)
                                 .where(Component.item_code >= "IC")) == 900
        assert connection.scalar(select(func.count()).select_from(Widget.__table__)
                                 .where(Widget.active.is_(True))) == 300


def test_a_failed_big_load_leaves_the_indexes_as_they_were(pg, small_threshold, tmp_path):
    before = indexes(pg)
    with pytest.raises(LayoutError):
        run_import(pg, WIDGETS, write_file(tmp_path / "a.csv", 300, bad_last=True))
    assert indexes(pg) == before
    with pg.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Widget.__table__)) == 0


def test_a_table_the_statistics_call_big_is_not_counted(pg, small_threshold, tmp_path,
                                                        monkeypatch):
    from poser_web.db import load_deferral

    run_import(pg, WIDGETS, write_file(tmp_path / "a.csv", 300))
    with pg.connect() as connection, connection.begin():
        connection.execute(text("ANALYZE poser_widget"))
        connection.execute(text("ANALYZE poser_component"))
    monkeypatch.setattr(load_deferral, "COUNT_BELOW", 100)
    with statements_run(pg) as statements:
        run_import(pg, WIDGETS, write_file(tmp_path / "b.csv", 300, start=300))
    assert not [s for s in statements if s.startswith("SELECT count(*) FROM poser_")]
    assert not [s for s in statements if s.startswith("DROP INDEX")]  # 300 rows onto 300 (1200)


def test_a_big_load_leaves_the_planner_statistics_of_what_it_loaded(pg, small_threshold, tmp_path):
    """Before autovacuum gets to them, the columns have the loaded rows' statistics: without
    them a look-up of 500 parents' children (`widget_uuid IN (...)`) was planned as a scan of
    the whole table. (Two components a widget: half as many parents as rows, a shape no other
    test here loads.)"""
    run_import(pg, WIDGETS, write_file(tmp_path / "a.csv", 200, components=2))
    with pg.connect() as connection:
        distinct = connection.scalar(text(
            "SELECT n_distinct FROM pg_stats WHERE tablename = 'poser_component' AND attname = 'widget_uuid'"))
    assert distinct == -0.5


def test_a_bulk_update_joins_by_key_and_leaves_the_planner_settings_alone(pg, tmp_path):
    """An update run's UPDATE ... FROM its scratch table looks each row up by key, whatever the
    statistics say, and the transaction's planner settings are as before afterwards."""
    from poser_web.db.update_from import update_from

    run_import(pg, WIDGETS, write_file(tmp_path / "a.csv", 300))
    with pg.connect() as connection, connection.begin():
        connection.execute(text("CREATE TEMPORARY TABLE changed_rows ON COMMIT DROP AS "
                                "SELECT uuid, description FROM poser_widget LIMIT 5"))
        connection.execute(text("UPDATE changed_rows SET description = 'changed'"))
        plans = []

        def explain(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("UPDATE poser_widget"):
                cursor.execute("EXPLAIN " + statement)
                plans.append(" ".join(row[0] for row in cursor.fetchall()))

        event.listen(connection, "before_cursor_execute", explain)
        update_from(connection, "poser_widget", "changed_rows", "description = changed.description", "uuid")
        event.remove(connection, "before_cursor_execute", explain)
        settings = connection.execute(text(
            "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin')")).one()
        changed = connection.scalar(text("SELECT count(*) FROM poser_widget WHERE description = 'changed'"))
    assert "Nested Loop" in plans[0] and "Hash Join" not in plans[0], plans
    assert tuple(settings) == ("on", "on") and changed == 5
