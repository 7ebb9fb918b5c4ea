"""A pooled connection is checked for life when it leaves the pool after a quiet spell.

SQLAlchemy's `pool_pre_ping` pings on every checkout: on PostgreSQL a round trip and two
autocommit switches per request, ~0.6 ms of a list page's ~5 (bench/page_cpu.py). A connection
used a moment ago is alive unless the server went away in that moment — and then the request
in flight fails whatever the pool does. What the ping is for is the connection that sat idle
while the server restarted, or a firewall or `idle_session_timeout` dropped it: that one is
pinged (`poser.db_ping_after` seconds unused, default 5; 0 pings on every checkout). A dead
one is replaced before the request sees it (DisconnectionError: the pool tries a new one).

SQLite has no server to lose: nothing is installed there. `sqlalchemy.pool_pre_ping = true`
still works as SQLAlchemy documents it (and this stays out of its way).
"""
import time

from pyramid.settings import asbool
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

SETTING = "poser.db_ping_after"
DEFAULT_SECONDS = 5.0
_RETURNED = "poser.returned_at"  # connection record info: when it went back to the pool


def ping_after(settings):
    """Seconds of idleness after which a connection is pinged, from the settings."""
    raw = settings.get(SETTING)
    if raw is None or str(raw).strip() == "":
        return DEFAULT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # negative, or NaN
        raise ValueError(f"{SETTING} = {raw!r}: give the seconds a connection may sit unused "
                         f"before it is checked (a number, 0 or more; default {DEFAULT_SECONDS:g})")
    return seconds


def install(engine, settings, prefix="sqlalchemy."):
    """Ping connections idle longer than the setting when they are checked out."""
    if engine.dialect.name == "sqlite" or asbool(settings.get(f"{prefix}pool_pre_ping")):
        return
    idle_limit = ping_after(settings)

    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record):
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def leaving(dbapi_connection, record, proxy):
        returned_at = record.info.get(_RETURNED)
        if returned_at is None or time.monotonic() - returned_at < idle_limit:
            return  # new (just connected), or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"an idle connection was lost: {error}") from error
        if not alive:
            raise DisconnectionError("an idle connection was lost")
