"""A request's session joins its transaction manager (db/engine.py, TmSession): it commits
with the manager's commit, rolls back with its abort, and a plain session stays unjoined."""
import pytest
import transaction
from sqlalchemy import Integer, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from poser_web.db.engine import get_engine, get_session_factory, get_tm_session

pytestmark = pytest.mark.only_db("sqlite")

class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    seen: Mapped[int] = mapped_column(Integer, default=0)


metadata = Base.metadata


@pytest.fixture
def factory(tmp_path):
    engine = get_engine({"sqlalchemy.url": f"sqlite:///{tmp_path / 'tm.sqlite'}"})
    metadata.create_all(engine)
    yield get_session_factory(engine)
    engine.dispose()


def _stored(factory):
    with factory() as session:
        return session.scalars(select(Thing.n).order_by(Thing.n)).all()


@pytest.mark.parametrize("writing", [False, True])
def test_commit_and_abort_follow_the_manager(factory, writing):
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    get_tm_session(factory, tm, writing=writing).add(Thing(n=1))
    tm.abort()
    assert _stored(factory) == []

    tm.begin()
    get_tm_session(factory, tm, writing=writing).add(Thing(n=2))
    tm.commit()  # the flush joins the transaction and marks it changed
    assert _stored(factory) == [2]

    tm.begin()  # an ORM UPDATE statement, no flush: marked changed by do_orm_execute
    get_tm_session(factory, tm, writing=writing).execute(update(Thing).values(seen=5))
    tm.commit()
    with factory() as session:
        assert session.scalar(select(Thing.seen)) == 5


def test_two_managers_do_not_share_a_session(factory):
    first, second = (transaction.TransactionManager(explicit=True) for _ in range(2))
    first.begin()
    second.begin()
    get_tm_session(factory, first, writing=True).add(Thing(n=1))
    first.commit()
    get_tm_session(factory, second).execute(select(Thing.n)).all()
    second.abort()  # the other manager's abort leaves the first one's commit alone
    assert _stored(factory) == [1]


def test_a_plain_session_is_not_joined(factory):
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    session = factory()
    session.add(Thing(n=3))
    session.flush()
    tm.commit()  # not joined: the manager does not commit it
    session.rollback()
    session.close()
    assert _stored(factory) == []


def test_writing_sessions_share_one_writer_engine_that_begins_immediate(factory):
    """A writing request's session is bound to the engine with WRITE_OPTION, made once per
    session factory (not an OptionEngine per request); its transaction begins as a writer."""
    from sqlalchemy import event

    from poser_web.db.engine import WRITE_OPTION

    managers = [transaction.TransactionManager(explicit=True) for _ in range(2)]
    first, second = (get_tm_session(factory, tm, writing=True) for tm in managers)
    assert first.get_bind() is second.get_bind() is not factory.kw["bind"]
    assert first.get_bind().get_execution_options()[WRITE_OPTION] is True
    seen = []
    event.listen(factory.kw["bind"], "before_cursor_execute",
                 lambda conn, cursor, statement, *args: seen.append(statement))
    managers[0].begin()
    assert first.connection().connection.dbapi_connection.in_transaction
    assert seen == ["BEGIN IMMEDIATE"]  # through the cursor events, as before
    managers[0].abort()
