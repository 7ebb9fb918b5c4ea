"""RunnerDispatcher (poser_web/web/dispatcher.py), without HTTP: tasks as waitress hands them
over, each noting the thread that ran it and when, some held until the test lets them go."""
import logging
import threading
import time

import pytest

from poser_web.web.dispatcher import RunnerDispatcher
from tests.waiting import wait_until

LONG = 30.0  # a patience no test reaches: nothing turns slow


class Task:
    def __init__(self, log, name, hold=False):
        self.log, self.name = log, name
        self.released = threading.Event()
        if not hold:
            self.released.set()
        self.started = self.ended = self.thread = None
        self.cancelled = False

    def service(self):
        self.started, self.thread = time.monotonic(), threading.current_thread().name
        self.ident = threading.get_ident()
        self.log.append(("start", self.name))
        self.released.wait(LONG)
        self.ended = time.monotonic()
        self.log.append(("end", self.name))

    def cancel(self):
        self.cancelled = True


@pytest.fixture
def make_dispatcher():
    made = []

    def make(runners=1, patience=LONG, threads=4):
        dispatcher = RunnerDispatcher(runners, patience)
        dispatcher.set_thread_count(threads)
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        dispatcher.shutdown(timeout=5)


def running_at_most(log):
    running = most = 0
    for event, _ in log:
        running += 1 if event == "start" else -1
        most = max(most, running)
    return most


def test_quick_requests_wait_for_the_runner_and_take_its_thread(make_dispatcher, caplog):
    caplog.set_level(logging.WARNING, logger="waitress.queue")
    dispatcher, log = make_dispatcher(runners=1), []
    first = Task(log, "first", hold=True)
    dispatcher.add_task(first)
    wait_until(lambda: first.started, "the first task to start")
    queued = [Task(log, f"queued {n}") for n in range(3)]
    for task in queued:
        dispatcher.add_task(task)
    time.sleep(0.2)  # waitress's own dispatcher starts them at once, on three more threads
    assert all(task.started is None for task in queued), "a queued task ran beside the runner"
    first.released.set()
    wait_until(lambda: all(task.ended for task in queued), "the queued tasks to run")
    assert [task.thread for task in queued] == [first.thread] * 3
    assert [name for event, name in log if event == "start"] == [
        "first", "queued 0", "queued 1", "queued 2"]
    assert running_at_most(log) == 1
    # Threads were free all along: waiting for the runner is not a queue to warn about.
    assert not [r for r in caplog.records if r.name == "waitress.queue"]


def test_a_slow_request_lets_a_spare_thread_take_the_next(make_dispatcher):
    patience = 0.1
    dispatcher, log = make_dispatcher(runners=1, patience=patience), []
    slow = Task(log, "slow", hold=True)
    dispatcher.add_task(slow)
    wait_until(lambda: slow.started, "the slow task to start")
    quick = Task(log, "quick")
    dispatcher.add_task(quick)
    wait_until(lambda: quick.ended, "the quick task to run while the slow one still runs", 10)
    assert slow.ended is None
    assert quick.thread != slow.thread
    assert quick.started - slow.started >= patience
    slow.released.set()
    wait_until(lambda: slow.ended, "the slow task to end")


def test_two_runners_run_two_quick_requests_at_once(make_dispatcher):
    dispatcher, log = make_dispatcher(runners=2), []
    tasks = [Task(log, name, hold=True) for name in ("one", "two", "three")]
    for task in tasks:
        dispatcher.add_task(task)
    wait_until(lambda: tasks[0].started and tasks[1].started, "two tasks to run at once")
    time.sleep(0.2)
    assert tasks[2].started is None, "a third ran beside two quick runners"
    for task in tasks:
        task.released.set()
    wait_until(lambda: all(task.ended for task in tasks), "every task to end")
    assert running_at_most(log) == 2


def test_threads_still_cap_what_runs_at_once(make_dispatcher, caplog):
    dispatcher, log = make_dispatcher(runners=1, patience=0.02, threads=2), []
    tasks = [Task(log, f"slow {n}", hold=True) for n in range(3)]
    for task in tasks:
        dispatcher.add_task(task)
    wait_until(lambda: tasks[0].started and tasks[1].started, "a spare thread to take the second")
    time.sleep(0.2)
    assert tasks[2].started is None, "more tasks ran than the dispatcher has threads"
    caplog.set_level(logging.WARNING, logger="waitress.queue")
    dispatcher.add_task(Task(log, "one more"))  # every thread busy: that is worth a warning
    assert [r.getMessage() for r in caplog.records if r.name == "waitress.queue"] == [
        "Task queue depth is 2"]
    tasks[0].released.set()
    wait_until(lambda: tasks[2].started, "the third to take the freed thread")
    for task in tasks:
        task.released.set()
    wait_until(lambda: all(task.ended for task in tasks), "every task to end")


def test_shutdown_ends_the_threads_and_cancels_what_waits(make_dispatcher):
    dispatcher, log = make_dispatcher(runners=1), []
    running, waiting = Task(log, "running", hold=True), Task(log, "waiting")
    dispatcher.add_task(running)
    wait_until(lambda: running.started, "the first task to start")
    dispatcher.add_task(waiting)
    running.released.set()  # ends; the waiting one may or may not get its turn first
    dispatcher.shutdown(timeout=5)
    assert not dispatcher.threads
    dispatcher.watcher.join(5)
    assert not dispatcher.watcher.is_alive()
    assert waiting.cancelled or waiting.ended


@pytest.mark.parametrize("runners, patience", [(0, 0.02), (1, 0), (1, -1)])
def test_settings_out_of_range_are_refused(runners, patience):
    with pytest.raises(ValueError):
        RunnerDispatcher(runners, patience)


def test_a_runner_in_a_long_database_call_lets_the_next_request_run(make_dispatcher):
    dispatcher, log = make_dispatcher(runners=1), []
    in_database, leave = threading.Event(), threading.Event()

    class Searching(Task):
        def service(self):
            self.started, self.thread = time.monotonic(), threading.current_thread().name
            self.ident = threading.get_ident()
            dispatcher.database_wait_begins()
            in_database.set()
            leave.wait(LONG)
            dispatcher.database_wait_ends()
            self.released.wait(LONG)
            self.ended = time.monotonic()

    searching, next_one = Searching(log, "search", hold=True), Task(log, "next")
    dispatcher.add_task(searching)
    in_database.wait(10)
    dispatcher.add_task(next_one)
    wait_until(lambda: next_one.ended, "the next request to run while the first is in the database")
    leave.set()  # back from the database: a quick runner again, so the next request waits
    wait_until(lambda: searching.ident not in dispatcher.in_database,
               "the search to leave the database")
    third = Task(log, "third")
    dispatcher.add_task(third)
    time.sleep(0.2)
    assert third.started is None, "a request ran beside a runner back from the database"
    searching.released.set()
    wait_until(lambda: third.ended, "the third request to run after the search")


def test_a_database_call_that_never_said_it_ended_is_forgotten_with_its_task(make_dispatcher):
    dispatcher, log = make_dispatcher(runners=1), []

    class Failing(Task):
        def service(self):
            dispatcher.database_wait_begins()  # the statement raises: no database_wait_ends
            super().service()

    failing = Failing(log, "failing")
    dispatcher.add_task(failing)
    wait_until(lambda: failing.ended, "the task to end")
    wait_until(lambda: not dispatcher.started, "its thread to look for work")
    assert not dispatcher.in_database

