"""SQLite's pool hands out the connection used last: its page cache is still good."""
import pytest

from poser_web.db.engine import get_engine

pytestmark = pytest.mark.only_db("sqlite")


def driver_connection_of(connection):
    return connection.connection.dbapi_connection


@pytest.mark.parametrize("setting, reused", [(None, "last"), ("false", "first")])
def test_the_connection_given_back_last_goes_out_first(tmp_path, setting, reused):
    settings = {"sqlalchemy.url": f"sqlite:///{tmp_path / 'pool.sqlite'}"}
    if setting is not None:
        settings["sqlalchemy.pool_use_lifo"] = setting  # the ini's own choice wins
    engine = get_engine(settings)
    try:
        first, last = engine.connect(), engine.connect()
        given_back = {"first": driver_connection_of(first), "last": driver_connection_of(last)}
        first.close()
        last.close()
        with engine.connect() as again:
            assert driver_connection_of(again) is given_back[reused]
    finally:
        engine.dispose()
