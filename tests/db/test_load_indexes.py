"""PostgreSQL: a big load drops a table's plain indexes and builds them again before commit
(load_indexes.py); unique indexes and a foreign key's index stay all along, and afterwards the
database has exactly the indexes it had."""
import pytest
from sqlalchemy import event, func, select, text

from poser_web.db.load_indexes import load_indexes
from poser_web.tables.widgets.models import Component, Widget
from poser_web.transfer import LayoutError, run_import
from tests.db.test_search_bulk import WIDGETS, fresh, own_engine, small_threshold, write_file  # noqa: F401


@pytest.fixture
def pg(fresh):  # noqa: F811
    if fresh.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its b-tree indexes (only FTS triggers are deferred there)")
    return fresh


def indexes(engine):
    with engine.connect() as connection:
        return dict(connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")).all())


def dropped_indexes(engine):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("DROP INDEX"):
            seen.append(statement.split()[-1])

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


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
        pg, small_threshold, tmp_path):  # noqa: F811
    before = indexes(pg)
    seen, stop = dropped_indexes(pg)
    try:
        run_import(pg, WIDGETS, write_file(tmp_path / "a.csv", 300))
    finally:
        stop()
    assert "ix_poser_component_item_code_uuid" in seen and "ix_poser_widget_active" in seen
    assert not {"pk_poser_widget", "pk_poser_component", "ix_poser_component_widget_uuid"} & set(seen)
    assert indexes(pg) == before
    with pg.connect() as connection:  # the rebuilt indexes hold every row
        connection.execute(text("SET enable_seqscan = off"))
        assert connection.scalar(select(func.count()).select_from(Component.__table__)
                                 .where(Component.item_code >= "IC")) == 900
        assert connection.scalar(select(func.count()).select_from(Widget.__table__)
                                 .where(Widget.active.is_(True))) == 300


def test_a_failed_big_load_leaves_the_indexes_as_they_were(pg, small_threshold, tmp_path):  # noqa: F811
    before = indexes(pg)
    with pytest.raises(LayoutError):
        run_import(pg, WIDGETS, write_file(tmp_path / "a.csv", 300, bad_last=True))
    assert indexes(pg) == before
    with pg.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Widget.__table__)) == 0


def test_a_table_the_statistics_call_big_is_not_counted(pg, small_threshold, tmp_path,  # noqa: F811
                                                        monkeypatch):
    from poser_web.db import search_index

    run_import(pg, WIDGETS, write_file(tmp_path / "a.csv", 300))
    with pg.connect() as connection, connection.begin():
        connection.execute(text("ANALYZE poser_widget"))
        connection.execute(text("ANALYZE poser_component"))
    monkeypatch.setattr(search_index, "COUNT_BELOW", 100)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(pg, "before_cursor_execute", record)
    try:
        run_import(pg, WIDGETS, write_file(tmp_path / "b.csv", 300, start=300))
    finally:
        event.remove(pg, "before_cursor_execute", record)
    assert not [s for s in statements if s.startswith("SELECT count(*) FROM poser_")]
    assert not [s for s in statements if s.startswith("DROP INDEX")]  # 300 rows onto 300 (1200)
