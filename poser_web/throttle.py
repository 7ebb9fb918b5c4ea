"""Slow down password guessing: too many recent failures lock the name or address."""
from datetime import timedelta

from sqlalchemy import delete, or_, select

from .models import LoginFailure, utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20


def locked_for(session, username, address):
    """Seconds until another attempt is allowed (0: allowed now)."""
    since = utcnow() - WINDOW
    recent = select(LoginFailure.username, LoginFailure.address, LoginFailure.attempted_at).where(
        LoginFailure.attempted_at > since,
        or_(LoginFailure.username == username, LoginFailure.address == address),
    )
    rows = session.execute(recent).all()
    waits = []
    by_name = sorted(r.attempted_at for r in rows if r.username == username)
    by_address = sorted(r.attempted_at for r in rows if r.address == address)
    if len(by_name) >= MAX_FAILURES_PER_USERNAME:
        waits.append(by_name[-MAX_FAILURES_PER_USERNAME] + WINDOW - utcnow())
    if len(by_address) >= MAX_FAILURES_PER_ADDRESS:
        waits.append(by_address[-MAX_FAILURES_PER_ADDRESS] + WINDOW - utcnow())
    return max((int(w.total_seconds()) + 1 for w in waits), default=0)


def record_failure(session, username, address):
    session.add(LoginFailure(username=username[:50], address=address[:64]))
    # Old rows are useless: drop them as we go so the table stays small.
    session.execute(delete(LoginFailure).where(LoginFailure.attempted_at < utcnow() - WINDOW * 4))


def clear_failures(session, username):
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
