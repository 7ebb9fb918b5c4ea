"""On SQLite, the requests a process serves take turns: one runs at a time.

Every statement on SQLite runs inside this process in microseconds, and the sqlite3 module
lets go of the GIL for each of them (each row too). Threads serving requests side by side
then hand the GIL to each other at every statement: a request is done no sooner, and the
handing over costs CPU. A save cycle (`bench/cycle.py`, waitress 4 threads, AMD EPYC 2 cores)
cost 11.3 ms of server CPU and ran 81 cycles/s with requests side by side; 8.4 ms and 102/s
taking turns, as with a single waitress thread. (PostgreSQL is the other way round: a request
spends its time waiting on the server, and turns made it slower: 85 -> 71 cycles/s. Off there.)

A request waits for its turn before anything else runs (the outermost tween) and gives it back
when its response is made. It gives it back sooner, and the rest of the request runs beside
the others as before, wherever keeping it would hold them up:

- when it has held it QUANTUM_S: checked before each statement, so a long request (a big
  export, a batch page) does not keep the site waiting;
- before it waits for this process's SQLite write lock (sqlite_writers: another request or a
  batch job in this process is writing);
- before slow work that is not the database: `step_aside()` (password hashing).

And a request that has waited WAIT_LIMIT_S for its turn goes on without it: whatever the
holder is waiting for (another process's write lock in SQLite's busy handler, a statement
that runs long), the others are held up that long at most.

A response body the app streams (a CSV download) is read after the turn is given back.
`poser.sqlite_turns = false` turns all this off.
"""
import threading
import time

from pyramid.settings import asbool
from pyramid.tweens import INGRESS
from sqlalchemy import event

from . import sqlite_writers

# How long a request keeps its turn before it runs beside the others (seconds).
QUANTUM_S = 0.05
# How long a request waits for its turn before it goes on without it (seconds).
WAIT_LIMIT_S = 0.2
SETTING = "poser.sqlite_turns"
REGISTRY_KEY = "poser.sqlite_turns"


# The turn this thread holds: .turns (a Turns) and .since (when it was taken), or neither.
_mine = threading.local()


class Turns:
    """One turn at a time among the threads of a process; each thread knows its own."""

    def __init__(self):
        self.lock = threading.Lock()

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
    """Turns for requests on `engine` (a SQLite file database), or None."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return None
    turns = Turns()

    @event.listens_for(engine, "before_cursor_execute")
    def long_enough(connection, cursor, statement, parameters, context, many):
        turns.check()

    writers = sqlite_writers.lock_for(path)
    writers.before_wait.append(turns.give_back)
    return turns


def turn_tween_factory(handler, registry):
    turns = registry.get(REGISTRY_KEY)
    if turns is None:
        return handler

    def turn_tween(request):
        turns.take()
        try:
            return handler(request)
        finally:
            turns.give_back()

    return turn_tween


def includeme(config):
    """After db.engine: the engine it takes turns on is in the registry by then."""
    wanted = asbool(config.get_settings().get(SETTING, True))
    config.registry[REGISTRY_KEY] = install(config.registry["db_engine"]) if wanted else None
    # Outermost: the response's compression is CPU work too.
    config.add_tween("poser_web.db.sqlite_turns.turn_tween_factory", under=INGRESS,
                     over="poser_web.web.compression.compression_tween_factory")
