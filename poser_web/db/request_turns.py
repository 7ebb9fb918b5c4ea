"""The requests a process serves take turns: one runs Python at a time.

Python runs one thread at a time anyway (the GIL). But the database drivers let go of the GIL
for every statement (sqlite3 for every row too), and threads serving requests side by side
then hand the GIL to one another at each of them: a request is done no sooner, and the handing
over costs CPU. Here a request waits for its turn (the outermost tween) and gives it back when
its response is made, or sooner, wherever keeping it would hold the others up:

- SQLite, where a statement is microseconds inside the process: the turn is kept through the
  statements, given back after QUANTUM_S (checked before each statement, so a long request, a
  big export, does not keep the site waiting), and before waiting for this process's SQLite
  write lock (sqlite_writers: another request or a batch job in this process is writing).
- PostgreSQL, where a statement waits on the server: the turn goes to the next request for the
  time of each statement, and of the COMMIT or ROLLBACK at the end.
- Before slow work that is not the database: `step_aside()` (password hashing).

A request that has waited WAIT_LIMIT_S for its turn goes on without it: whatever the holder is
waiting for (another process's write lock in SQLite's busy handler, a statement that runs
long), the others are held up that long at most. Threads that serve no request (batch jobs,
the datasync daemon) never take turns. A response body the app streams (a CSV download) is
read after the turn is given back.

Save cycles served with 4 waitress threads (`bench/cycle.py`, AMD EPYC 2 cores, quiet): on
SQLite 81-92 cycles/s at 9.8-11.3 ms of server CPU each side by side, 101-104 at 8.4 ms taking
turns (the same as one waitress thread); on PostgreSQL 83-92 at 8.1-9.2 ms, 95 at 7.4 ms.
`poser.request_turns = false` turns all this off.
"""
import threading
import time

from pyramid.settings import asbool
from pyramid.tweens import INGRESS
from sqlalchemy import event

from . import sqlite_writers

# How long a request keeps its turn through SQLite statements before the others may run.
QUANTUM_S = 0.05
# How long a request waits for its turn before it goes on without it (seconds).
WAIT_LIMIT_S = 0.2
SETTING = "poser.request_turns"
REGISTRY_KEY = "poser.request_turns"

# This thread's: .serving (the Turns of the request it serves), .turns (the Turns whose turn it
# holds) and .since (when it took it).
_mine = threading.local()


class Turns:
    """One turn at a time among the threads of a process."""

    def __init__(self):
        self.lock = threading.Lock()

    def serve(self, handler, request):
        """Run `handler(request)` as a request that takes turns."""
        _mine.serving = self
        self.take()
        try:
            return handler(request)
        finally:
            self.give_back()
            _mine.serving = None

    def take(self):
        """Wait (at most WAIT_LIMIT_S) for the turn; True when this thread has it."""
        if self.lock.acquire(timeout=WAIT_LIMIT_S):
            _mine.turns, _mine.since = self, time.monotonic()
            return True
        return False

    def give_back(self):
        """Let the next request go; nothing when this thread does not hold the turn."""
        if getattr(_mine, "turns", None) is self:
            _mine.turns = None
            self.lock.release()

    def take_again(self):
        """After a statement: the request this thread serves takes its turn again."""
        if getattr(_mine, "serving", None) is self and _mine.turns is None:
            self.take()

    def check(self):
        """Give the turn back once it has been held QUANTUM_S."""
        if getattr(_mine, "turns", None) is self and time.monotonic() - _mine.since > QUANTUM_S:
            self.give_back()


def step_aside():
    """Before slow work that is not the database (password hashing): the others go first."""
    turns = getattr(_mine, "turns", None)
    if turns is not None:
        turns.give_back()


def install(engine):
    """Turns for the requests on `engine`, or None (SQLite in memory: one connection)."""
    path = engine.url.database
    if engine.dialect.name == "sqlite":
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        return _on_sqlite(engine, path)
    return _on_server(engine)


def _on_sqlite(engine, path):
    turns = Turns()

    @event.listens_for(engine, "before_cursor_execute")
    def long_enough(connection, cursor, statement, parameters, context, many):
        turns.check()

    sqlite_writers.lock_for(path).before_wait.append(turns.give_back)
    return turns


def _on_server(engine):
    turns = Turns()

    @event.listens_for(engine, "before_cursor_execute")
    def away(connection, cursor, statement, parameters, context, many):
        turns.give_back()

    @event.listens_for(engine, "after_cursor_execute")
    def back(connection, cursor, statement, parameters, context, many):
        turns.take_again()

    @event.listens_for(engine, "handle_error")
    def back_after_an_error(context):
        turns.take_again()

    for ending in ("commit", "rollback"):  # the request's last wait on the server
        event.listen(engine, ending, lambda connection: turns.give_back())
    return turns


def turn_tween_factory(handler, registry):
    turns = registry.get(REGISTRY_KEY)
    if turns is None:
        return handler

    def turn_tween(request):
        return turns.serve(handler, request)

    return turn_tween


def includeme(config):
    """After db.engine: the engine it takes turns on is in the registry by then."""
    wanted = asbool(config.get_settings().get(SETTING, True))
    config.registry[REGISTRY_KEY] = install(config.registry["db_engine"]) if wanted else None
    # Outermost: the response's compression is CPU work too.
    config.add_tween("poser_web.db.request_turns.turn_tween_factory", under=INGRESS,
                     over="poser_web.web.compression.compression_tween_factory")
