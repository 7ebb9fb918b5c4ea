"""A process's requests take turns (db/request_turns.py).

The tween is driven directly, several requests at once on threads, each request a handler
that reads or writes through a real engine (a SQLite file, or the run's PostgreSQL database):
what the tests look at is which request runs when.
"""
import threading
import time

import pytest
from pyramid.registry import Registry
from sqlalchemy import create_engine, text

from poser_web.db import request_turns
from poser_web.db.engine import WRITE_OPTION, get_engine

sqlite_only = pytest.mark.only_db("sqlite")


@pytest.fixture
def engine(db_kind, database_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.sqlite'}" if db_kind == "sqlite" else database_url
    engine = get_engine({"sqlalchemy.url": url, "sqlalchemy.pool_size": "10"})
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    yield engine
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE counter")
    engine.dispose()


@pytest.fixture
def turns(engine):
    return request_turns.install(engine)


@pytest.fixture
def tween_of(turns):
    """tween_of(handler): the handler behind the turn tween, turns on `engine`."""
    registry = Registry()
    registry[request_turns.REGISTRY_KEY] = turns
    return lambda handler: request_turns.turn_tween_factory(handler, registry)


def in_threads(*targets):
    errors, threads = [], []

    def guarded(target):
        try:
            target()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    for target in targets:
        threads.append(threading.Thread(target=guarded, args=(target,)))
        threads[-1].start()
        time.sleep(0.02)  # in this order
    for thread in threads:
        thread.join(10)
    assert not errors, errors


@sqlite_only
def test_requests_on_sqlite_run_one_at_a_time(engine, tween_of):
    running, most = [0], [0]
    guard = threading.Lock()

    def handler(request):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        with engine.connect() as connection:
            for _ in range(20):
                connection.execute(text("SELECT n FROM counter")).scalar()
                time.sleep(0.001)  # lets go of the GIL, as a statement does
        with guard:
            running[0] -= 1

    tween = tween_of(handler)
    in_threads(*[lambda: tween(None) for _ in range(4)])
    assert most[0] == 1


def others_ran_during(tween_of, slow_part):
    """One request runs `slow_part()`, another comes once it has begun: whether the other ran
    before the slow request was done (it waits 2 s for it). WAIT_LIMIT_S must be long."""
    begun, other_ran = threading.Event(), threading.Event()
    seen = {}

    def handler(request):
        if request == "slow":
            begun.set()
            slow_part()
            seen["other ran"] = other_ran.wait(2)
        else:
            other_ran.set()

    tween = tween_of(handler)

    def other():
        begun.wait(2)
        tween("other")

    in_threads(lambda: tween("slow"), other)
    return seen["other ran"]


@sqlite_only
def test_a_long_request_lets_the_others_go_at_its_next_statement(engine, tween_of, monkeypatch):
    monkeypatch.setattr(request_turns, "WAIT_LIMIT_S", 5)  # only the long request's statement frees the turn

    def long_request():
        time.sleep(request_turns.QUANTUM_S + 0.02)
        with engine.connect() as connection:
            connection.execute(text("SELECT n FROM counter")).scalar()  # gives the turn back

    assert others_ran_during(tween_of, long_request)


@sqlite_only
def test_a_writer_waiting_for_another_writer_lets_readers_go(engine, tween_of, monkeypatch):
    monkeypatch.setattr(request_turns, "WAIT_LIMIT_S", 5)
    batch_holds_the_lock, reader_done = threading.Event(), threading.Event()
    seen = {}

    def batch_job():  # in this process, outside any request: holds the write lock a while
        writer = engine.connect().execution_options(**{WRITE_OPTION: True})
        with writer as connection, connection.begin():
            connection.execute(text("UPDATE counter SET n = n + 1"))
            batch_holds_the_lock.set()
            seen["reader done while a save waited"] = reader_done.wait(3)

    save_waits = threading.Event()

    def handler(request):
        if request == "save":
            save_waits.set()
            writer = engine.connect().execution_options(**{WRITE_OPTION: True})
            with writer as connection, connection.begin():  # waits for the batch job's lock
                connection.execute(text("UPDATE counter SET n = n + 1"))
        else:
            with engine.connect() as connection:
                seen["reader saw"] = connection.execute(text("SELECT n FROM counter")).scalar()
            reader_done.set()

    tween = tween_of(handler)

    def save():
        batch_holds_the_lock.wait(2)
        tween("save")

    def read():
        save_waits.wait(2)
        time.sleep(0.05)  # the save is waiting for the write lock by now, holding its turn
        tween("read")

    in_threads(batch_job, save, read)
    assert seen == {"reader done while a save waited": True, "reader saw": 0}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 2


def test_a_request_stuck_holding_its_turn_holds_the_others_up_only_a_moment(engine, tween_of):
    release = threading.Event()
    waited = {}

    def handler(request):
        if request == "stuck":  # e.g. in SQLite's busy handler: another process writes
            release.wait(5)
        else:
            waited["other"] = time.monotonic() - started

    tween = tween_of(handler)
    started = time.monotonic()

    def other():
        nonlocal started
        started = time.monotonic()
        tween("other")
        release.set()

    in_threads(lambda: tween("stuck"), other)
    assert request_turns.WAIT_LIMIT_S * 0.9 <= waited["other"] < request_turns.WAIT_LIMIT_S + 1


def test_a_request_that_fails_gives_its_turn_back(engine, tween_of):
    def handler(request):
        if request == "fails":
            raise ValueError("the view failed")
        return "done"

    tween = tween_of(handler)
    with pytest.raises(ValueError):
        tween("fails")
    started = time.monotonic()
    assert tween("next") == "done"
    assert time.monotonic() - started < request_turns.WAIT_LIMIT_S / 2


def test_no_turns_on_sqlite_in_memory_or_when_turned_off():
    def handler(request):
        return request

    assert request_turns.install(create_engine("sqlite://")) is None  # one connection
    registry = Registry()
    assert request_turns.turn_tween_factory(handler, registry) is handler
    registry[request_turns.REGISTRY_KEY] = None  # poser.request_turns = false
    assert request_turns.turn_tween_factory(handler, registry) is handler


def test_the_app_takes_turns_unless_told_not_to(app_settings):
    from poser_web import main

    on = main({}, **app_settings)
    off = main({}, **dict(app_settings, **{"poser.request_turns": "false"}))
    try:
        assert isinstance(on.registry[request_turns.REGISTRY_KEY], request_turns.Turns)
        assert off.registry[request_turns.REGISTRY_KEY] is None
    finally:
        on.registry["db_engine"].dispose()
        off.registry["db_engine"].dispose()


@pytest.mark.only_db("postgresql")
def test_on_postgresql_a_request_waiting_on_the_server_lets_the_others_run(engine, tween_of,
                                                                          monkeypatch):
    monkeypatch.setattr(request_turns, "WAIT_LIMIT_S", 5)

    with engine.connect() as connection:  # open throughout: no ROLLBACK gives the turn away

        def waits_on_the_server():
            connection.execute(text("SELECT pg_sleep(0.3)"))

        assert others_ran_during(tween_of, waits_on_the_server)


@pytest.mark.only_db("postgresql")
def test_on_postgresql_requests_run_their_python_one_at_a_time(engine, tween_of):
    running, most = [0], [0]
    guard = threading.Lock()

    def handler(request):
        with engine.connect() as connection:
            for _ in range(10):
                with guard:
                    running[0] += 1
                    most[0] = max(most[0], running[0])
                time.sleep(0.002)  # Python work, the GIL let go as a driver call does
                with guard:
                    running[0] -= 1
                connection.execute(text("SELECT n FROM counter")).scalar()

    tween = tween_of(handler)
    in_threads(*[lambda: tween(None) for _ in range(4)])
    assert most[0] == 1


def test_threads_serving_no_request_never_take_turns(engine, turns):
    with engine.connect() as connection:  # a batch job's statements, outside any request
        connection.execute(text("SELECT n FROM counter")).scalar()
        assert not turns.lock.locked()
