"""`pserve`'s server: waitress with RunnerDispatcher (web/dispatcher.py).

    [server:main]
    use = egg:poser-web#waitress
    threads = 8          # waitress's: the most requests that run at once
    runners = auto       # how many run while each is quick: auto is 1 on SQLite, 2 otherwise
    slow_request_ms = 20 # a request running longer lets a spare thread take the next one

Every other setting is waitress's own and goes to it unchanged.
"""
import logging

import waitress
from waitress.adjustments import Adjustments

from . import database_waits
from .dispatcher import RunnerDispatcher

DEFAULT_SLOW_REQUEST_MS = 20
# On SQLite a request's database work runs in this process, holding the interpreter most of the
# time: one runner does the most. With a database server, a request waits for it at every
# statement and commit; a second runner uses those waits (bench/cycle.py, PostgreSQL on this
# machine: 2 runners served 7 % more save cycles than 1, 5 % more than waitress's own 4 threads).
# And only SQLite's long statements free the CPU for another request (web/database_waits.py).
# database -> (runners for `auto`, watch long statements)
BY_DATABASE = {"sqlite": (1, True)}
SERVER_DATABASE = (2, False)


def runners_for(app, value):
    """The `runners` setting as a number; `auto` (or unset) by the app's database."""
    text = str(value if value is not None else "auto").strip().lower()
    if text == "auto":
        return _database_policy(app)[0]
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"[server:main] runners: not a whole number of at least 1 or auto: {value!r}")
    return int(text)


def _engine_of(app):
    registry = getattr(app, "registry", None)  # a Pyramid router's; not a wrapped app's
    return registry.get("db_engine") if registry is not None else None


def _database_policy(app):
    engine = _engine_of(app)
    return BY_DATABASE.get(engine.dialect.name if engine is not None else None, SERVER_DATABASE)


def slow_request_seconds(value):
    text = str(value if value is not None else DEFAULT_SLOW_REQUEST_MS).strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"[server:main] slow_request_ms: not a whole number of milliseconds "
                         f"of at least 1: {value!r}")
    return int(text) / 1000


def dispatcher_for(app, settings):
    """A started RunnerDispatcher for waitress `settings`, taking this module's own settings out
    of them (waitress refuses settings it does not know)."""
    runners = runners_for(app, settings.pop("runners", None))
    patience = slow_request_seconds(settings.pop("slow_request_ms", None))
    threads = Adjustments(**settings).threads  # checks waitress's settings before a thread starts
    dispatcher = RunnerDispatcher(min(runners, threads), patience)
    dispatcher.set_thread_count(threads)
    return dispatcher


def make_server(app, **settings):
    """waitress.create_server with a RunnerDispatcher (not yet serving: call its run())."""
    settings = dict(settings)
    dispatcher = dispatcher_for(app, settings)
    if _database_policy(app)[1]:
        database_waits.install(_engine_of(app), dispatcher)
    # `_dispatcher` is create_server's way in for a dispatcher of one's own (waitress 3; its
    # tests use it, setup.py keeps waitress below 4, tests/web/test_server.py checks it is used).
    return waitress.create_server(app, _dispatcher=dispatcher, **settings)


def serve(app, **settings):
    """What waitress.serve does, with RunnerDispatcher: blocks until the server stops."""
    logging.basicConfig()  # as waitress.serve: does nothing when pserve has set logging up
    server = make_server(app, **settings)
    server.print_listen("Serving on http://{}:{}")
    server.run()


def serve_paste(app, global_conf, **settings):
    """paste.server_runner (`use = egg:poser-web#waitress`)."""
    serve(app, **settings)
    return 0
