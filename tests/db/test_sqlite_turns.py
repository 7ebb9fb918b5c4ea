"""On SQLite, a process's requests take turns (db/sqlite_turns.py).

The tween is driven directly, several requests at once on threads, each request a handler
that reads or writes through a real engine on a SQLite file: what the tests look at is which
request runs when.
"""
import threading
import time

import pytest
from pyramid.registry import Registry
from sqlalchemy import create_engine, text

from poser_web.db import sqlite_turns
from poser_web.db.engine import WRITE_OPTION, get_engine

pytestmark = pytest.mark.only_db("sqlite")


@pytest.fixture
def engine(tmp_path):
    engine = get_engine({"sqlalchemy.url": f"sqlite:///{tmp_path / 'turns.sqlite'}",
                         "sqlalchemy.pool_size": "10"})
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    yield engine
    engine.dispose()


@pytest.fixture
def tween_of(engine):
    """tween_of(handler): the handler behind the turn tween, turns on `engine`."""
    registry = Registry()
    registry[sqlite_turns.REGISTRY_KEY] = sqlite_turns.install(engine)
    return lambda handler: sqlite_turns.turn_tween_factory(handler, registry)


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


def test_a_long_request_lets_the_others_go_at_its_next_statement(engine, tween_of, monkeypatch):
    monkeypatch.setattr(sqlite_turns, "WAIT_LIMIT_S", 5)  # only the long request's statement frees the turn

    def long_request():
        time.sleep(sqlite_turns.QUANTUM_S + 0.02)
        with engine.connect() as connection:
            connection.execute(text("SELECT n FROM counter")).scalar()  # gives the turn back

    assert others_ran_during(tween_of, long_request)


def test_a_writer_waiting_for_another_writer_lets_readers_go(engine, tween_of, monkeypatch):
    monkeypatch.setattr(sqlite_turns, "WAIT_LIMIT_S", 5)
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
    assert sqlite_turns.WAIT_LIMIT_S * 0.9 <= waited["other"] < sqlite_turns.WAIT_LIMIT_S + 1


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
    assert time.monotonic() - started < sqlite_turns.WAIT_LIMIT_S / 2


def test_no_turns_off_sqlite_or_when_turned_off(engine, tmp_path):
    def handler(request):
        return request

    assert sqlite_turns.install(create_engine("postgresql+psycopg://nobody@127.0.0.1/none")) is None
    assert sqlite_turns.install(create_engine("sqlite://")) is None  # in memory: one connection
    registry = Registry()
    assert sqlite_turns.turn_tween_factory(handler, registry) is handler
    registry[sqlite_turns.REGISTRY_KEY] = None  # poser.sqlite_turns = false
    assert sqlite_turns.turn_tween_factory(handler, registry) is handler


def test_the_app_takes_turns_on_sqlite_unless_told_not_to(app_settings):
    from poser_web import main

    on = main({}, **app_settings)
    off = main({}, **dict(app_settings, **{"poser.sqlite_turns": "false"}))
    try:
        assert isinstance(on.registry[sqlite_turns.REGISTRY_KEY], sqlite_turns.Turns)
        assert off.registry[sqlite_turns.REGISTRY_KEY] is None
    finally:
        on.registry["db_engine"].dispose()
        off.registry["db_engine"].dispose()


def test_a_request_hashing_a_password_lets_the_others_go_first(engine, tween_of, monkeypatch):
    from poser_web.auth import passwords

    monkeypatch.setattr(sqlite_turns, "WAIT_LIMIT_S", 5)

    class SlowHasher:  # argon2 at production cost: tens of milliseconds with the GIL let go
        def verify(self, password_hash, password):
            time.sleep(0.3)
            return True

    monkeypatch.setattr(passwords, "hasher", SlowHasher())
    assert others_ran_during(tween_of, lambda: passwords.verify_password("hash", "password"))
