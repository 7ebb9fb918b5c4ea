"""Who is executing a batch, and whether they still are.

A batch being executed names its worker (`Batch.worker`): "host pid process-start claimed-at
nonce". Executing is one database transaction, so a process that dies mid-way changes no
data, but the batch it claimed would stay "executing" for ever; `stopped` tells such a batch
from a slow one, so the user can execute it again:

- this process: the worker is alive while its thread is registered here (`register`);
- another process of this host: alive while that pid runs with the same start time;
- PostgreSQL, another host: alive while the worker's transaction holds the batch's advisory
  lock (`hold`), or while its claim is younger than `GRACE_SECONDS` (its thread may not have
  started yet).

Taking over a stopped batch is a conditional UPDATE naming the old worker, and the worker
checks its name under the lock before writing, so a batch still executes once.
"""
import os
import socket
import threading
import time
import uuid as uuids

from sqlalchemy import text

GRACE_SECONDS = 30
LOCK_CLASS = 0x706F  # advisory lock key space of batch executions ("po")

_host = socket.gethostname()[:100]
_lock = threading.Lock()
_running = {}  # worker name → [done, total] of the executions this process runs


def _process_start(pid):
    """The process's start time in clock ticks since boot (Linux), '' when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


_me = f"{_host} {os.getpid()} {_process_start(os.getpid())}"


def new_name():
    """A worker name for an execution this process will run."""
    return f"{_me} {int(time.time())} {uuids.uuid4().hex[:8]}"


def register(name, total=0):
    with _lock:
        _running[name] = [0, total]


def unregister(name):
    with _lock:
        _running.pop(name, None)


def report(name, done, total=None):
    with _lock:
        counters = _running.get(name)
        if counters is not None:
            counters[0] = done
            if total is not None:
                counters[1] = total


def progress(name):
    """(done, total) of an execution this process runs, else None."""
    with _lock:
        counters = _running.get(name)
        return tuple(counters) if counters is not None else None


def hold(connection, number):
    """PostgreSQL: mark the executing transaction as this batch's live worker."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:c, :n)"),
                           {"c": LOCK_CLASS, "n": number})


def stopped(connection, name, number, now=None):
    """True when the worker `name` of batch `number` is known to have stopped."""
    if not name:
        return True
    parts = name.split(" ")
    if len(parts) != 5:
        return True
    host, pid, start, claimed, _ = parts
    if f"{host} {pid} {start}" == _me:
        with _lock:
            return name not in _running
    if host == _host:  # its process runs (the same one: not a new process with its pid)
        return not _process_runs(pid, start)
    if (now or time.time()) - int(claimed) < GRACE_SECONDS:
        return False  # its thread may not have started yet
    if connection.dialect.name == "postgresql":
        return not connection.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :c "
            "AND objid = :n AND granted"), {"c": LOCK_CLASS, "n": number})
    return False  # a SQLite file shared across hosts: nothing to check, assume it runs


def _process_runs(pid, start):
    if start:
        return _process_start(pid) == start
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True
