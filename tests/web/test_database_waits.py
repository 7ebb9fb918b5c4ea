"""web/database_waits.py: a SQLite statement that has taken long tells the dispatcher when it
starts and ends; a quick one does not."""
import time

from sqlalchemy import create_engine, text

from poser_web.web import database_waits


class Dispatcher:
    def __init__(self):
        self.calls = []

    def database_wait_begins(self):
        self.calls.append("begins")

    def database_wait_ends(self):
        self.calls.append("ends")


def slow_engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'waits.sqlite'}")

    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def pause_function(dbapi_connection, record):
        # A statement of known length: SQLite calls pause(s) once per row.
        dbapi_connection.create_function("pause", 1, lambda seconds: time.sleep(seconds) or 0)

    return engine


def test_a_long_statement_tells_the_dispatcher_from_its_second_run(tmp_path):
    engine, dispatcher = slow_engine(tmp_path), Dispatcher()
    database_waits.install(engine, dispatcher)
    long = text("SELECT pause(:seconds)")
    with engine.connect() as connection:
        connection.execute(long, {"seconds": 0.005})
        assert dispatcher.calls == []  # its length was not known yet
        connection.execute(long, {"seconds": 0.005})
        assert dispatcher.calls == ["begins", "ends"]
    engine.dispose()


def test_quick_statements_do_not(tmp_path):
    engine, dispatcher = slow_engine(tmp_path), Dispatcher()
    database_waits.install(engine, dispatcher)
    with engine.connect() as connection:
        for _ in range(20):
            connection.execute(text("SELECT 1"))
    assert dispatcher.calls == []
    engine.dispose()


def test_a_statement_that_got_quick_stops_telling(tmp_path):
    engine, dispatcher = slow_engine(tmp_path), Dispatcher()
    database_waits.install(engine, dispatcher)
    statement = text("SELECT pause(:seconds)")
    with engine.connect() as connection:
        connection.execute(statement, {"seconds": 0.005})
        for _ in range(30):  # its running average falls below the line
            connection.execute(statement, {"seconds": 0})
        dispatcher.calls.clear()
        connection.execute(statement, {"seconds": 0})
    assert dispatcher.calls == []
    engine.dispose()
