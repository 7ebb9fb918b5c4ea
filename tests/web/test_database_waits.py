"""web/database_waits.py: a SQLite statement that has taken long tells the dispatcher when it
starts and ends; a quick one does not."""
import time

import pytest
from sqlalchemy import create_engine, event, text

from poser_web.web import database_waits


class Dispatcher:
    def __init__(self):
        self.calls = []

    def database_wait_begins(self):
        self.calls.append("begins")

    def database_wait_ends(self):
        self.calls.append("ends")


@pytest.fixture
def watched(tmp_path):
    """(a connection, the Dispatcher stand-in) on a SQLite engine watched by database_waits,
    with pause(seconds): a statement of known length (SQLite calls it once per row)."""
    engine, dispatcher = create_engine(f"sqlite:///{tmp_path / 'waits.sqlite'}"), Dispatcher()

    @event.listens_for(engine, "connect")
    def pause_function(dbapi_connection, record):
        dbapi_connection.create_function("pause", 1, lambda seconds: time.sleep(seconds) or 0)

    database_waits.install(engine, dispatcher)
    with engine.connect() as connection:
        yield connection, dispatcher
    engine.dispose()


PAUSE = text("SELECT pause(:seconds)")


def test_a_long_statement_tells_the_dispatcher_from_its_second_run(watched):
    connection, dispatcher = watched
    connection.execute(PAUSE, {"seconds": 0.005})
    assert dispatcher.calls == []  # its length was not known yet
    connection.execute(PAUSE, {"seconds": 0.005})
    assert dispatcher.calls == ["begins", "ends"]


def test_quick_statements_do_not(watched):
    connection, dispatcher = watched
    for _ in range(20):
        connection.execute(text("SELECT 1"))
    assert dispatcher.calls == []


def test_a_statement_that_got_quick_stops_telling(watched):
    connection, dispatcher = watched
    connection.execute(PAUSE, {"seconds": 0.005})
    for _ in range(30):  # its running average falls below the line
        connection.execute(PAUSE, {"seconds": 0})
    dispatcher.calls.clear()
    connection.execute(PAUSE, {"seconds": 0})
    assert dispatcher.calls == []
