"""pserve's server (poser_web/web/server.py): the ini files name it, its settings are read and
refused as an operator would expect, and served over real sockets it uses RunnerDispatcher."""
import http.client
import threading
import time

import pytest
from paste.deploy.loadwsgi import SERVER, loadcontext
from waitress import wasyncore

from poser_web import main
from poser_web.web import server
from poser_web.web.dispatcher import RunnerDispatcher
from tests.databases import REPO
from tests.waiting import wait_until


@pytest.mark.parametrize("ini", ["development.ini", "production.ini"])
def test_the_ini_files_serve_with_runners(ini):
    context = loadcontext(SERVER, f"config:{REPO / ini}")
    assert context.object is server.serve_paste
    assert context.local_conf["runners"] == "auto"
    assert int(context.local_conf["slow_request_ms"]) >= 1


def test_auto_runs_one_request_at_a_time_on_sqlite_and_two_with_a_database_server(app):
    expected = 1 if app.registry["db_engine"].dialect.name == "sqlite" else 2
    assert server.runners_for(app, "auto") == expected
    assert server.runners_for(app, None) == expected


def test_an_app_without_a_registry_gets_the_server_database_default():
    assert server.runners_for(lambda environ, start_response: [], "auto") == 2


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", ""])
def test_a_bad_runners_setting_is_refused_by_name(value):
    with pytest.raises(ValueError, match="runners"):
        server.runners_for(None, value)


@pytest.mark.parametrize("value", ["0", "fast", "2.5"])
def test_a_bad_slow_request_ms_is_refused_by_name(value):
    with pytest.raises(ValueError, match="slow_request_ms"):
        server.slow_request_seconds(value)


def test_an_unknown_waitress_setting_is_refused_before_a_thread_starts():
    before = threading.active_count()
    with pytest.raises(ValueError, match="Unknown adjustment"):
        server.dispatcher_for(None, {"runners": "1", "thraeds": "4"})
    assert threading.active_count() == before


class HeldApp:
    """/slow answers when the test lets it; any other path at once, naming its thread."""

    def __init__(self):
        self.release = threading.Event()
        self.slow_started = None

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            self.slow_started = time.monotonic()
            self.release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [threading.current_thread().name.encode()]


@pytest.fixture
def served():
    app = HeldApp()
    made = server.make_server(app, listen="127.0.0.1:0", threads="4", runners="1",
                              slow_request_ms="100")
    runner = threading.Thread(target=made.run, daemon=True)
    runner.start()
    yield app, made, made.getsockname()[1]
    app.release.set()
    # Sockets closed from the server's own loop thread, so its loop ends without racing us.
    made.trigger.pull_trigger(lambda: wasyncore.close_all(made._map, ignore_all=True))
    runner.join(10)
    made.task_dispatcher.shutdown(timeout=5)


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_served_requests_go_through_runner_dispatcher(served):
    _, made, port = served
    assert isinstance(made.task_dispatcher, RunnerDispatcher)
    assert made.task_dispatcher.runners == 1 and made.task_dispatcher.patience == 0.1
    assert get(port, "/quick")[0] == 200


def test_a_slow_request_holds_the_next_up_only_until_it_turns_slow(served):
    app, _, port = served
    slow = {}
    holder = threading.Thread(target=lambda: slow.update(answer=get(port, "/slow")), daemon=True)
    holder.start()
    wait_until(lambda: app.slow_started is not None, "the slow request to start")
    status, thread = get(port, "/quick")
    answered = time.monotonic()
    assert status == 200
    assert "answer" not in slow, "the slow request ended before the quick one was answered"
    assert answered - app.slow_started >= 0.1  # it waited for the runner to turn slow...
    app.release.set()  # ...and no longer: the slow one was still held when it was answered
    holder.join(30)
    assert slow["answer"][0] == 200 and slow["answer"][1] != thread


def test_long_statements_are_watched_on_sqlite_only(app_settings):
    app = main({}, **app_settings)  # its own engine: the listeners stay with it
    engine = app.registry["db_engine"]
    before = len(engine.dispatch.before_cursor_execute)
    made = server.make_server(app, listen="127.0.0.1:0", threads="2")
    try:
        added = len(engine.dispatch.before_cursor_execute) - before
        assert added == (1 if engine.dialect.name == "sqlite" else 0)
    finally:
        made.task_dispatcher.shutdown(timeout=5)
        made.close()
        engine.dispose()
