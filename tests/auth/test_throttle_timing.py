"""The throttle's documented numbers, on a clock the test moves (no sleeping): five free
failures within 15 minutes, then waits of 30 s, 1 min, 2 min; a success forgives only that
client's failures for that username; failures older than an hour are dropped."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from poser_web.auth import throttle
from poser_web.models import LoginFailure
from tests.auth.test_login_throttle import from_address
from tests.helpers import add_user, log_in

FREE_FAILURES = 5  # as the README documents them
WINDOW = timedelta(minutes=15)


@pytest.fixture
def clock(monkeypatch):
    """The throttle's time, moved by the test: clock.move(seconds=…)."""
    class Clock:
        now = throttle.utcnow()

        def move(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(throttle, "utcnow", lambda: clock.now)
    return clock


def fail(client, username="ann", times=1):
    for _ in range(times):
        log_in(client, username, password="guess", status=401)


def test_each_further_failure_doubles_the_wait_from_30_seconds(anonymous_app, dbsession, clock):
    add_user(dbsession, "ann", admin=True)
    fail(anonymous_app, times=FREE_FAILURES)
    for wait in (30, 60, 120):
        response = log_in(anonymous_app, "ann", password="guess", status=429)
        assert response.headers["Retry-After"] == str(wait)
        clock.move(seconds=wait - 1)
        response = log_in(anonymous_app, "ann", password="guess", status=429)
        assert response.headers["Retry-After"] == "1"  # 1 s is left: announced as 1
        clock.move(seconds=1)
        fail(anonymous_app)  # allowed again, and failed once more


def test_a_part_second_left_is_announced_as_the_next_whole_second(anonymous_app, dbsession,
                                                                   clock):
    """Retry-After is whole seconds: what is left, rounded up (never less, never a second more)."""
    add_user(dbsession, "ann", admin=True)
    fail(anonymous_app, times=FREE_FAILURES)
    clock.move(seconds=28.25)   # 1.75 s left of the first 30 s wait
    response = log_in(anonymous_app, "ann", password="guess", status=429)
    assert response.headers["Retry-After"] == "2"
    clock.move(seconds=1.5)     # 0.25 s left
    response = log_in(anonymous_app, "ann", password="guess", status=429)
    assert response.headers["Retry-After"] == "1"


def test_failures_count_for_15_minutes(anonymous_app, dbsession, clock):
    add_user(dbsession, "ann", admin=True)
    fail(anonymous_app, times=FREE_FAILURES - 1)
    clock.move(minutes=14, seconds=59)
    fail(anonymous_app)                                         # the fifth within 15 minutes
    log_in(anonymous_app, "ann", password="guess", status=429)
    clock.move(seconds=1)   # the first four are exactly 15 minutes old: out of the window
    fail(anonymous_app, times=FREE_FAILURES - 1)
    log_in(anonymous_app, "ann", password="guess", status=429)


def test_a_success_forgives_that_clients_failures_for_that_username_only(anonymous_app,
                                                                           dbsession, clock):
    add_user(dbsession, "ann", admin=True)
    add_user(dbsession, "bob", admin=True)
    elsewhere = from_address(anonymous_app, "198.51.100.7")
    fail(anonymous_app, "ann", times=FREE_FAILURES - 1)
    fail(anonymous_app, "bob", times=FREE_FAILURES - 1)
    fail(elsewhere, "ann", times=FREE_FAILURES - 1)
    log_in(anonymous_app, "ann", status=303)
    anonymous_app.reset()
    fail(anonymous_app, "ann", times=FREE_FAILURES)   # forgiven: five more are free
    fail(anonymous_app, "bob")                         # not forgiven: the fifth...
    log_in(anonymous_app, "bob", password="guess", status=429)  # ...then a wait
    fail(elsewhere, "ann")
    log_in(elsewhere, "ann", password="guess", status=429)


def test_failures_older_than_an_hour_are_dropped_at_the_next_failure(anonymous_app, dbsession,
                                                                      clock):
    add_user(dbsession, "ann", admin=True)
    fail(anonymous_app, "ann")
    clock.move(minutes=11)
    fail(anonymous_app, "ann")
    clock.move(minutes=50)   # the first is 61 minutes old, the second 50
    fail(anonymous_app, "ann")
    dbsession.expire_all()
    ages = sorted(clock.now - at for at in dbsession.scalars(select(LoginFailure.attempted_at)))
    assert ages == [timedelta(0), timedelta(minutes=50)]


def test_long_usernames_and_addresses_are_throttled_too(anonymous_app, dbsession, clock):
    """Stored cut to their columns' lengths (50 and 64), and looked up the same way."""
    client = from_address(anonymous_app, "2001:db8:" + "a" * 70)
    name = "x" * 60
    fail(client, name, times=FREE_FAILURES)
    log_in(client, name, password="guess", status=429)


def test_a_success_forgives_the_longest_name_from_a_long_address(anonymous_app, dbsession):
    """Forgiving looks the failures up cut as they were stored (50 and 64 characters)."""
    name = "x" * 50   # the longest a username can be
    add_user(dbsession, name, admin=True)
    client = from_address(anonymous_app, "2001:db8:" + "a" * 70)
    fail(client, name, times=FREE_FAILURES - 1)
    log_in(client, name, status=303)
    client.reset()    # a browser without the device cookie: counted by its address again
    fail(client, name, times=FREE_FAILURES)   # forgiven: five more are free
    log_in(client, name, password="guess", status=429)


@pytest.mark.only_db("postgresql")
def test_any_client_can_take_its_lock_on_postgresql(anonymous_app, dbsession):
    """The advisory lock's key fits PostgreSQL's bigint whatever the client: a wrong key (9
    bytes, or 8 unsigned) fails about every other address with a 500."""
    for n in range(24):
        fail(from_address(anonymous_app, f"198.51.100.{n}"), "nobody")


def test_a_failure_exactly_an_hour_old_is_kept_until_older(anonymous_app, dbsession, clock):
    add_user(dbsession, "ann", admin=True)
    fail(anonymous_app, "ann")
    clock.move(hours=1)   # "older than an hour" is dropped: exactly an hour is not older
    fail(anonymous_app, "ann")
    dbsession.expire_all()
    ages = sorted(clock.now - at for at in dbsession.scalars(select(LoginFailure.attempted_at)))
    assert ages == [timedelta(0), timedelta(hours=1)]


def test_any_caller_gets_names_cut_as_stored(dbsession):
    """The throttle cuts names to the column's 50 characters itself (the API's token endpoint
    calls it too, not only the login form, which cuts them already)."""
    name, client = "y" * 60, "192.0.2.99"
    for _ in range(FREE_FAILURES):
        throttle.record_failure(dbsession, name, client)
    dbsession.flush()
    assert throttle.locked_for(dbsession, name, client) > 0
    throttle.clear_failures(dbsession, name, client)
    assert throttle.locked_for(dbsession, name, client) == 0
