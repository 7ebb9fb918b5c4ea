"""A request's transaction ends with COMMIT when it only read, too (db/engine.py,
get_tm_session): a ROLLBACK makes psycopg forget the statements it has prepared on the
connection, and PostgreSQL then parsed and planned every statement of every request anew."""
import pytest
import transaction
from sqlalchemy import event, select

from poser_web.db.engine import get_engine, get_session_factory, get_tm_session
from poser_web.models import User


@pytest.fixture
def one_connection_engine(database_url):
    """An engine of its own: requests one after the other get its one connection back."""
    engine = get_engine({"sqlalchemy.url": database_url})
    yield engine
    engine.dispose()


def read_as_a_request_does(factory):
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    session = get_tm_session(factory, tm)
    found = session.scalars(select(User.username).where(User.username == "nobody here")).all()
    tm.commit()
    return found


def test_a_reading_request_ends_with_commit_not_rollback(one_connection_engine):
    ended = []
    event.listen(one_connection_engine, "commit", lambda connection: ended.append("commit"))
    event.listen(one_connection_engine, "rollback", lambda connection: ended.append("rollback"))
    assert read_as_a_request_does(get_session_factory(one_connection_engine)) == []
    assert ended == ["commit"]


@pytest.mark.only_db("postgresql")
def test_postgresql_keeps_a_reading_request_statements_prepared(one_connection_engine):
    factory = get_session_factory(one_connection_engine)
    for _ in range(7):  # psycopg prepares a statement at its fifth run on a connection
        read_as_a_request_does(factory)
    with one_connection_engine.connect() as connection:
        prepared = connection.exec_driver_sql(
            "SELECT statement FROM pg_prepared_statements").scalars().all()
    assert any("nobody" not in text and "FROM poser_user" in text for text in prepared), prepared
