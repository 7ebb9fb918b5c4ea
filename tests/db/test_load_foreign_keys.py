"""PostgreSQL: a big load drops a child table's foreign key to the owner table it also writes and
adds it back once, checked against every row, before commit (load_foreign_keys.py)."""
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from poser_web.db.load_foreign_keys import load_foreign_keys
from poser_web.tables.widgets.models import Component
from poser_web.transfer import LayoutError, run_import
from tests.db.test_search_bulk import WIDGETS, write_file
from tests.helpers import statements_run

pytestmark = pytest.mark.only_db("postgresql")


def foreign_keys(engine):
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            "FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2")).all()


def test_only_keys_to_a_table_the_writer_also_writes_may_go(fresh):
    with fresh.connect() as connection:
        keys = load_foreign_keys(connection, Component.__table__, {"poser_widget"})
        assert list(keys.values()) == ["FOREIGN KEY (widget_uuid) REFERENCES poser_widget(uuid)"]
        assert load_foreign_keys(connection, Component.__table__, {"poser_user"}) == {}
        assert load_foreign_keys(connection, Component.__table__, set()) == {}


def test_a_big_load_checks_the_owner_key_once_and_leaves_it_as_it_was(fresh, small_threshold,
                                                                      tmp_path):
    before = foreign_keys(fresh)
    with statements_run(fresh) as seen:
        run_import(fresh, WIDGETS, write_file(tmp_path / "a.csv", 300))
    dropped = [s for s in seen if "DROP CONSTRAINT" in s]
    assert dropped == ["ALTER TABLE poser_component DROP CONSTRAINT poser_component_fk_widget"]
    assert len([s for s in seen if "ADD CONSTRAINT" in s]) == 1
    assert foreign_keys(fresh) == before  # same keys, validated
    with fresh.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Component.__table__)) == 900
        with pytest.raises(IntegrityError):  # and it guards again
            connection.execute(text("INSERT INTO poser_component (uuid, widget_uuid, item_code, "
                                    "description, active) VALUES (:u, :w, 'X', 'orphan', true)"),
                               {"u": "f" * 32, "w": "e" * 32})


def test_a_small_load_keeps_the_key(fresh, small_threshold, tmp_path):
    run_import(fresh, WIDGETS, write_file(tmp_path / "a.csv", 300))
    with statements_run(fresh) as seen:
        run_import(fresh, WIDGETS, write_file(tmp_path / "b.csv", 5, start=1000, suffix=" new"))
    assert not [s for s in seen if "CONSTRAINT" in s]


def test_a_failed_big_load_leaves_the_key_as_it_was(fresh, small_threshold, tmp_path):
    before = foreign_keys(fresh)
    with pytest.raises(LayoutError):
        run_import(fresh, WIDGETS, write_file(tmp_path / "a.csv", 300, bad_last=True))
    assert foreign_keys(fresh) == before
