"""Two requests taking away administrators at once queue: neither can remove the other's last one."""
import pytest
from sqlalchemy import delete, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from poser_web.auth.accounts import active_admins
from poser_web.auth.passwords import hash_password
from poser_web.db.engine import get_engine
from poser_web.models import Role, User


@pytest.fixture
def committed_admins(database_url):
    """Two administrators committed for real (removed afterwards)."""
    engine = get_engine({"sqlalchemy.url": database_url})
    with Session(engine) as session, session.begin():
        role = Role(name="lock-test-admins", grants_all=True)
        session.add_all([User(username=f"lock-admin-{i}", password_hash=hash_password("x" * 8),
                              roles=[role]) for i in (1, 2)])
    yield engine
    with Session(engine) as session, session.begin():
        session.execute(delete(User).where(User.username.like("lock-admin-%")))
        session.execute(delete(Role).where(Role.name == "lock-test-admins"))
    engine.dispose()


def writer(engine, db_kind):
    """A session like a writing request's (SQLite: BEGIN IMMEDIATE), waiting at most briefly."""
    if db_kind == "sqlite":
        from poser_web.db.engine import WRITE_OPTION

        connection = engine.execution_options(**{WRITE_OPTION: True}).connect()
        connection.exec_driver_sql("PRAGMA busy_timeout=200")
    else:
        connection = engine.connect()
        connection.execute(text("SET lock_timeout = '200ms'"))
    connection.commit()
    return Session(bind=connection, join_transaction_mode="rollback_only"), connection


def test_a_second_writer_waits_for_the_first(committed_admins, db_kind):
    first, first_connection = writer(committed_admins, db_kind)
    second, second_connection = writer(committed_admins, db_kind)
    try:
        assert len(active_admins(first)) >= 2  # holds the lock until it ends
        with pytest.raises(OperationalError):
            active_admins(second)  # would have to wait: times out here
        second.rollback()
        first.rollback()
        assert len(active_admins(second)) >= 2  # free again
    finally:
        for session, connection in ((first, first_connection), (second, second_connection)):
            session.close()
            connection.close()
