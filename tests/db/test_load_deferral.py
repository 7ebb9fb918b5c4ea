"""A bulk load's deferral (load_deferral.py) driven directly, on tables made for the test inside
a transaction rolled back afterwards. (The imports' and batches' end-to-end checks are in
test_search_bulk.py, test_load_indexes.py and test_load_foreign_keys.py.)"""
from contextlib import contextmanager

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, insert, text
from sqlalchemy.exc import IntegrityError

from poser_web.db.load_deferral import LoadDeferral
from poser_web.db.load_indexes import load_indexes

pytestmark = pytest.mark.only_db("postgresql")

ROWS = 300  # more than small_threshold's minimum, and twice what the tables had


@contextmanager
def owner_and_owned(engine):
    """An owner table and an owned one with nothing a load may drop but its key to the owner:
    a primary key each, and the foreign key's index (kept all along, load_indexes.py)."""
    metadata = MetaData()
    owner = Table("poser_test_owner", metadata, Column("id", Integer, primary_key=True))
    owned = Table("poser_test_owned", metadata, Column("id", Integer, primary_key=True),
                  Column("owner_id", Integer, ForeignKey("poser_test_owner.id",
                                                         name="poser_test_owned_fk_owner"),
                         index=True))
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            metadata.create_all(connection)
            assert load_indexes(connection, owned) == {}
            yield connection, owner, owned
        finally:
            transaction.rollback()


def owner_keys(connection):
    return connection.execute(text(
        "SELECT conname, convalidated FROM pg_constraint "
        "WHERE conrelid = 'poser_test_owned'::regclass AND contype = 'f'")).all()


def load(connection, deferral, owner, owned, start=0):
    """What a bulk writer does: owners first, then their owned rows."""
    keys = range(start, start + ROWS)
    deferral.wrote(owner, ROWS)
    connection.execute(insert(owner), [{"id": n} for n in keys])
    deferral.wrote(owned, ROWS)
    during = owner_keys(connection)
    connection.execute(insert(owned), [{"id": n, "owner_id": n} for n in keys])
    return during


def test_a_big_load_defers_the_owner_key_of_a_table_with_no_index_to_drop(fresh, small_threshold):
    with owner_and_owned(fresh) as (connection, owner, owned):
        deferral = LoadDeferral(connection)
        assert load(connection, deferral, owner, owned) == []  # dropped for the load
        deferral.finish()
        assert owner_keys(connection) == [("poser_test_owned_fk_owner", True)]
        with pytest.raises(IntegrityError), connection.begin_nested():  # and it guards again
            connection.execute(insert(owned).values(id=ROWS, owner_id=ROWS + 1))


def test_a_load_small_next_to_the_table_keeps_the_owner_key(fresh, small_threshold):
    with owner_and_owned(fresh) as (connection, owner, owned):
        connection.execute(insert(owner), [{"id": n} for n in range(ROWS)])
        connection.execute(insert(owned), [{"id": n, "owner_id": n} for n in range(ROWS)])
        deferral = LoadDeferral(connection)  # 300 rows onto 300: fewer than twice as many
        assert load(connection, deferral, owner, owned, start=ROWS) == [
            ("poser_test_owned_fk_owner", True)]
        deferral.finish()
        assert owner_keys(connection) == [("poser_test_owned_fk_owner", True)]
