"""Slow down password guessing without handing anyone a way to lock others out.

Failures are counted per username *and* client address:

- one address guessing one username: the first `FREE_FAILURES` failures within
  `WINDOW` cost nothing; each further attempt must wait a delay that doubles
  (30 s, 1 min, 2 min, … up to `WINDOW`) after the last failure;
- one address guessing many usernames: `MAX_FAILURES_PER_ADDRESS` failures
  within `WINDOW` block that address until the oldest of them is `WINDOW` old.

So guesses from elsewhere never lock the real user out from their own address.
The check and the count are atomic: attempts from one address queue on a lock
(PostgreSQL advisory lock; on SQLite a writing request holds the database's
write lock already), so parallel guesses cannot overrun the limit.
"""
import hashlib
from datetime import timedelta

from sqlalchemy import delete, select, text

from ..models import LoginFailure, utcnow

WINDOW = timedelta(minutes=15)
FREE_FAILURES = 5
MAX_FAILURES_PER_USERNAME = FREE_FAILURES  # per username from one address
FIRST_DELAY = timedelta(seconds=30)
MAX_FAILURES_PER_ADDRESS = 20


def lock(session, address):
    """Serialize password checks from `address` until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"poser-login:{address}".encode()).digest()[:8],
                             "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def locked_for(session, username, address):
    """Seconds until another attempt is allowed (0: allowed now)."""
    now = utcnow()
    rows = session.execute(
        select(LoginFailure.username, LoginFailure.attempted_at).where(
            LoginFailure.attempted_at > now - WINDOW, LoginFailure.address == address[:64])
    ).all()
    waits = []
    by_pair = sorted(r.attempted_at for r in rows if r.username == username[:50])
    if len(by_pair) >= FREE_FAILURES:
        delay = min(WINDOW, FIRST_DELAY * 2 ** (len(by_pair) - FREE_FAILURES))
        waits.append(by_pair[-1] + delay - now)
    by_address = sorted(r.attempted_at for r in rows)
    if len(by_address) >= MAX_FAILURES_PER_ADDRESS:
        waits.append(by_address[-MAX_FAILURES_PER_ADDRESS] + WINDOW - now)
    return max((int(w.total_seconds()) + 1 for w in waits if w.total_seconds() > 0), default=0)


def record_failure(session, username, address):
    session.add(LoginFailure(username=username[:50], address=address[:64], attempted_at=utcnow()))
    # Old rows are useless: drop them as we go so the table stays small.
    session.execute(delete(LoginFailure).where(LoginFailure.attempted_at < utcnow() - WINDOW * 4))


def clear_failures(session, username, address):
    """A success from an address forgives that address's failures for that username only."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username[:50],
                                               LoginFailure.address == address[:64]))
