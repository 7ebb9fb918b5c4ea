"""Slow down password guessing without handing anyone a way to lock others out.

Failures are counted per username *and* client. The client is the browser when it
presents a device cookie issued to that username at an earlier login (devices.py:
`device:<id>`), else the address the request came from (behind a proxy, the one the
proxy forwards: production.ini's trusted_proxy):

- one client guessing one username: the first `FREE_FAILURES` failures within
  `WINDOW` cost nothing; each further attempt must wait a delay that doubles
  (30 s, 1 min, 2 min, … up to `WINDOW`) after the last failure;
- one address guessing many usernames: `MAX_FAILURES_PER_ADDRESS` failures within
  `WINDOW` from browsers without a device cookie block that address's such
  browsers until the oldest failure is `WINDOW` old. A browser someone logged in
  from before is not blocked by guesses from its address.

So guesses from elsewhere — or from the same address, in another browser — never lock
the real user out of their own browser. The check and the count are atomic: attempts
from one client queue on a lock (PostgreSQL advisory lock; on SQLite a writing request
holds the database's write lock already), so parallel guesses cannot overrun the limit.
The client is kept in LoginFailure.address.
"""
import hashlib
import math
from datetime import timedelta

from sqlalchemy import delete, select, text

from ..models import LoginFailure, utcnow
from . import devices

WINDOW = timedelta(minutes=15)
FREE_FAILURES = 5
MAX_FAILURES_PER_USERNAME = FREE_FAILURES  # per username from one client
FIRST_DELAY = timedelta(seconds=30)
MAX_FAILURES_PER_ADDRESS = 20


def client_of(request, username):
    """Who is trying `username`: a browser trusted for it (`device:<id>`), else the address."""
    return devices.trusted_client(request, username) or (request.client_addr or "unknown")


def is_device(client):
    return client.startswith("device:")


def lock(session, client):
    """Serialize password checks from `client` until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"poser-login:{client}".encode()).digest()[:8],
                             "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def locked_for(session, username, client):
    """Seconds until another attempt is allowed (0: allowed now)."""
    now = utcnow()
    rows = session.execute(
        select(LoginFailure.username, LoginFailure.attempted_at).where(
            LoginFailure.attempted_at > now - WINDOW, LoginFailure.address == client[:64])
    ).all()
    waits = []
    by_pair = sorted(r.attempted_at for r in rows if r.username == username[:50])
    if len(by_pair) >= FREE_FAILURES:
        delay = min(WINDOW, FIRST_DELAY * 2 ** (len(by_pair) - FREE_FAILURES))
        waits.append(by_pair[-1] + delay - now)
    by_address = sorted(r.attempted_at for r in rows)
    if not is_device(client) and len(by_address) >= MAX_FAILURES_PER_ADDRESS:
        waits.append(by_address[-MAX_FAILURES_PER_ADDRESS] + WINDOW - now)
    # Whole seconds, rounded up: never announce less than what is left, nor a second more.
    return max((math.ceil(w.total_seconds()) for w in waits if w.total_seconds() > 0), default=0)


def record_failure(session, username, client):
    session.add(LoginFailure(username=username[:50], address=client[:64], attempted_at=utcnow()))
    # Old rows are useless: drop them as we go so the table stays small.
    session.execute(delete(LoginFailure).where(LoginFailure.attempted_at < utcnow() - WINDOW * 4))


def clear_failures(session, username, client):
    """A success from a client forgives that client's failures for that username only."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username[:50],
                                               LoginFailure.address == client[:64]))
