"""Server-side sessions: the cookie is a random token, everything else is a poser_session row.

- Nothing in the cookie can be read: it is 32 random bytes; the row's id is
  their HMAC-SHA256 under `poser.secret`, so even a copy of the table opens no
  session, and changing the secret ends every session.
- A session ends on the server: logging out deletes its row; deactivating a
  user or changing their password deletes all of theirs (`_end_sessions_of_changed_users`,
  whoever makes the change: web, command line, pshell); "log out my other
  sessions" deletes the rest.
- Idle timeout and absolute lifetime: `poser.session_idle_timeout` (default 8h)
  and `poser.session_max_age` (default 24h); a session unused for the first or
  older than the second is over.
- Loading the session also loads the logged-in user and their permissions, in
  one statement (security.py reads them from here).
- Changes are written in the request's transaction by a tween, so an error page
  (whose transaction is aborted) saves nothing and sets no cookie.
- No row until there is something to keep: a visitor who only opens the login page
  gets its CSRF token from a cookie of its own (`poser_csrf`, a random nonce; the token
  is its HMAC under the secret), so anonymous page views store nothing. Logging in
  starts a row with a CSRF token of its own.
"""
import hmac
import json
import re
import secrets
from datetime import timedelta

from pyramid.interfaces import ISession
from pyramid.tweens import EXCVIEW
from sqlalchemy import delete, event, func, insert, inspect, or_, select, update
from sqlalchemy.orm import Session as OrmSession
from zope.interface import implementer

from ..models import ServerSession, User, utcnow
from ..web.request_cookies import request_cookie
from . import flash_cookie, session_writes
from .session_rows import row_loader

COOKIE_NAME = "poser_session"
CSRF_COOKIE_NAME = "poser_csrf"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
DEFAULT_IDLE_TIMEOUT = timedelta(hours=8)
DEFAULT_MAX_AGE = timedelta(hours=24)
CSRF_KEY = "_csrft_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FLASH_PREFIX = "_f_"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value, default):
    """`28800`, `480m`, `8h` or `7d` as a timedelta; `default` when unset."""
    if value is None or str(value).strip() == "":
        return default
    text = str(value).strip().lower()
    match = re.fullmatch(r"(\d+)\s*([smhd]?)", text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"not a duration: {value!r} (use e.g. 8h, 30m, 7d or seconds)")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2) or "s"])


class SessionSettings:
    def __init__(self, settings):
        self.idle_timeout = parse_duration(settings.get("poser.session_idle_timeout"),
                                           DEFAULT_IDLE_TIMEOUT)
        self.max_age = parse_duration(settings.get("poser.session_max_age"), DEFAULT_MAX_AGE)
        # last_seen_at is written at most this often (a GET rarely writes).
        self.touch_interval = min(timedelta(minutes=1), self.idle_timeout / 10)
        self.secure_cookies = str(settings.get("poser.secure_cookies", "false")).lower() == "true"
        self.key = (settings.get("poser.secret") or "").encode("utf-8")


def token_id(token, key):
    """The row id of a cookie token: HMAC-SHA256 under the app's secret."""
    # hmac.digest: one call into OpenSSL, none of the HMAC object's Python layers.
    return hmac.digest(key, token.encode("ascii"), "sha256").hex()


def _valid(table, now, config):
    return (table.c.last_seen_at > now - config.idle_timeout,
            table.c.created_at > now - config.max_age)


@implementer(ISession)
class ServerSideSession(dict):
    """Pyramid's ISession over one poser_session row (read when the request first needs it)."""

    def __init__(self, request, config):
        super().__init__()
        self.request, self.config = request, config
        self.token = None  # the cookie's value; None until the session is saved
        self.user_uuid = None
        self.identity_rows = []  # user, role and permission rows for security.py
        self.created = None  # the row's (_load), else now (below)
        self.new = True
        self.dirty = False
        self.readonly = False
        self._last_seen = None
        self._ended_ids = []  # rows to delete (logout, login's rotation)
        self._csrf_nonce = None  # a new anonymous CSRF cookie to set
        self._flashes_in = None  # the flash cookie's messages, read when first needed
        self._flash_out = {}  # messages flashed by this request
        self._flashes_changed = False  # some of the cookie's were shown
        self._load()
        if self.created is None:
            self.created = utcnow().timestamp()

    # -- loading and saving -------------------------------------------------

    def _load(self):
        token = request_cookie(self.request, COOKIE_NAME, "")
        if not TOKEN_PATTERN.match(token):
            return
        now = utcnow()
        connection = self.request.dbsession.connection()
        rows = row_loader(connection.dialect).rows(connection, {
            "id": token_id(token, self.config.key), "seen_after": now - self.config.idle_timeout,
            "created_after": now - self.config.max_age})
        if not rows:
            return  # unknown, ended or expired: a new session starts
        first = rows[0]
        if first.user_uuid is not None and not first.active:
            self._ended_ids.append(first.id)  # an inactive user's session is over
            return
        try:
            dict.update(self, json.loads(first.data))
        except ValueError:
            pass
        self.token, self.new = token, False
        self.created = first.created_at.timestamp()
        self.user_uuid = first.user_uuid
        self.identity_rows = rows if first.user_uuid else []
        self._last_seen = first.last_seen_at

    def persist(self, request, response):
        """Write what changed in the request's transaction; set the cookie if it is new."""
        if self.readonly:
            return
        if self._csrf_nonce is not None:
            response.set_cookie(CSRF_COOKIE_NAME, self._csrf_nonce, path="/", httponly=True,
                                samesite="Lax", secure=self._secure(request))
        self._persist_flashes(request, response)
        db = request.dbsession
        db.flush()  # user changes first: their hook may end sessions (see below)
        # ORM statements (on ServerSession, not its table): pyramid_tm's data
        # manager only commits sessions it saw change.
        table, now, statements = ServerSession, utcnow(), []
        ended, token = self._ended_ids, self.token
        if ended:
            statements.append(delete(table).where(table.id.in_(ended)))
        if token is None:
            if self.dirty:
                token = secrets.token_urlsafe(32)
                statements.append(insert(table).values(
                    id=token_id(token, self.config.key), user_uuid=self.user_uuid,
                    data=self._dump(), created_at=now, last_seen_at=now))
        elif self.dirty:
            statements.append(update(table).where(table.id == self._row_id())
                              .values(data=self._dump(), last_seen_at=now))
        elif self._last_seen is not None and now - self._last_seen > self.config.touch_interval:
            statements.append(update(table).where(table.id == self._row_id())
                              .values(last_seen_at=now))
        if not statements:
            return
        if request.method in SAFE_METHODS and db.get_bind().dialect.name == "sqlite":
            if not session_writes.write_apart(db, statements):
                return  # nothing written, no cookie: the next request tries again
        else:
            for statement in statements:
                db.execute(statement)
        self._ended_ids = []
        if self.token is None:
            if token is not None:
                self.token = token
                response.set_cookie(COOKIE_NAME, token, path="/", httponly=True,
                                    samesite="Lax", secure=self._secure(request))
            elif ended:
                response.delete_cookie(COOKIE_NAME, path="/")
        self.dirty = False

    def _row_id(self):
        return token_id(self.token, self.config.key)

    def _secure(self, request):
        return request.scheme == "https" or self.config.secure_cookies

    def _dump(self):
        return json.dumps(dict(self), separators=(",", ":"))

    # -- logging in and out ---------------------------------------------------

    def start(self, user_uuid):
        """A fresh session for `user_uuid` (login): a new token, no old data."""
        self.invalidate()
        self.user_uuid = user_uuid
        self.new_csrf_token()

    def end_other_sessions(self):
        """Log out every other session of this user; returns how many ended."""
        if self.user_uuid is None:
            return 0
        condition = [ServerSession.user_uuid == self.user_uuid]
        if self.token is not None:
            condition.append(ServerSession.id != self._row_id())
        return self.request.dbsession.execute(delete(ServerSession).where(*condition)).rowcount

    def other_session_count(self):
        if self.user_uuid is None:
            return 0
        table = ServerSession.__table__
        query = select(func.count()).select_from(table).where(
            table.c.user_uuid == self.user_uuid, *_valid(table, utcnow(), self.config))
        if self.token is not None:
            query = query.where(table.c.id != self._row_id())
        return self.request.dbsession.scalar(query)

    # -- ISession ---------------------------------------------------------------

    def invalidate(self):
        if self.token is not None:
            self._ended_ids.append(self._row_id())
        self.token, self.user_uuid, self.identity_rows = None, None, []
        self.new, self.dirty = True, False
        dict.clear(self)
        if self._incoming_flashes():  # the old session's messages end with it
            self._flashes_in, self._flashes_changed = {}, True
        self._flash_out = {}

    def changed(self):
        self.dirty = True

    def __setitem__(self, key, value):
        self.dirty = True
        dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        self.dirty = True
        dict.__delitem__(self, key)

    def pop(self, *args):
        self.dirty = True
        return dict.pop(self, *args)

    def setdefault(self, key, default=None):
        self.dirty = True
        return dict.setdefault(self, key, default)

    def update(self, *args, **kwargs):
        self.dirty = True
        dict.update(self, *args, **kwargs)

    def clear(self):
        self.dirty = True
        dict.clear(self)

    # Flash messages travel in a signed cookie (flash_cookie.py); those a session row still
    # holds (written before the cookie) are shown first, then forgotten as before.

    def flash(self, msg, queue="", allow_duplicate=True):
        if allow_duplicate or msg not in self.peek_flash(queue):
            self._flash_out.setdefault(queue, []).append(msg)

    def pop_flash(self, queue=""):
        messages = self.peek_flash(queue)
        if FLASH_PREFIX + queue in self:
            self.pop(FLASH_PREFIX + queue)
        if queue in self._incoming_flashes() or queue in self._flash_out:
            self._flashes_in.pop(queue, None)
            self._flash_out.pop(queue, None)
            self._flashes_changed = True
        return messages

    def peek_flash(self, queue=""):
        return (list(self.get(FLASH_PREFIX + queue, [])) + self._incoming_flashes().get(queue, [])
                + self._flash_out.get(queue, []))

    def _incoming_flashes(self):
        if self._flashes_in is None:
            value = request_cookie(self.request, flash_cookie.COOKIE_NAME) if self.request else None
            self._flashes_in = flash_cookie.decode(self.config.key, value) if value else {}
        return self._flashes_in

    def _persist_flashes(self, request, response):
        """Set the flash cookie to the messages not shown yet; remove it when none are left.
        Messages too long for a cookie go to the session row instead."""
        if not (self._flash_out or self._flashes_changed):
            return
        queues = {queue: list(messages) for queue, messages in self._incoming_flashes().items()}
        for queue, messages in self._flash_out.items():
            queues.setdefault(queue, []).extend(messages)
        self._flash_out, self._flashes_in, self._flashes_changed = {}, dict(queues), False
        value = flash_cookie.encode(self.config.key, queues) if queues else None
        if value is not None:
            response.set_cookie(flash_cookie.COOKIE_NAME, value, path="/", httponly=True,
                                samesite="Lax", secure=self._secure(request))
            return
        if queues:  # too long for a cookie
            for queue, messages in queues.items():
                self.setdefault(FLASH_PREFIX + queue, []).extend(messages)
        if request_cookie(request, flash_cookie.COOKIE_NAME):
            response.delete_cookie(flash_cookie.COOKIE_NAME, path="/")

    def new_csrf_token(self):
        token = secrets.token_hex(20)
        self[CSRF_KEY] = token
        return token

    def get_csrf_token(self):
        token = self.get(CSRF_KEY)
        if token is not None:
            return token
        if self.token is None and not self.dirty and self.config is not None:
            return self._anonymous_csrf_token()  # nothing else to keep: no row for it
        return self.new_csrf_token()

    def _anonymous_csrf_token(self):
        """The CSRF token of a visitor without a session row: the HMAC of their cookie's nonce."""
        nonce = self._csrf_nonce or request_cookie(self.request, CSRF_COOKIE_NAME, "")
        if not TOKEN_PATTERN.match(nonce):
            nonce = self._csrf_nonce = secrets.token_urlsafe(32)
        return hmac.digest(self.config.key, b"csrf:" + nonce.encode("ascii"), "sha256").hex()[:40]


def unavailable_session():
    """An empty session that never touches the database (error pages when it is down)."""
    session = ServerSideSession.__new__(ServerSideSession)
    dict.__init__(session)
    session.request = session.config = None
    session.token = session.user_uuid = session._last_seen = None
    session.identity_rows, session._ended_ids, session._csrf_nonce = [], [], None
    session._flashes_in, session._flash_out, session._flashes_changed = {}, {}, False
    session.created, session.new, session.dirty, session.readonly = 0, True, False, True
    return session


def session_tween_factory(handler, registry):
    """Saves the request's session after the view, inside its transaction."""

    def session_tween(request):
        response = handler(request)
        session = request.__dict__.get("session")
        if isinstance(session, ServerSideSession):
            session.persist(request, response)
        return response

    return session_tween


def end_expired_sessions(db, config):
    now = utcnow()
    db.execute(delete(ServerSession).where(or_(ServerSession.last_seen_at <= now - config.idle_timeout,
                                               ServerSession.created_at <= now - config.max_age)))


@event.listens_for(OrmSession, "before_flush")
def _end_sessions_of_changed_users(session, flush_context, instances):
    """A deactivated user, or one whose password changed, is logged out everywhere."""
    ended = []
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        active = state.attrs.active.history
        password = state.attrs.password_hash.history
        if (active.added and active.added[0] is False) or password.added:
            ended.append(obj.uuid)
    if ended:
        table = ServerSession.__table__
        session.connection().execute(delete(table).where(table.c.user_uuid.in_(ended)))


def includeme(config):
    settings = SessionSettings(config.get_settings())
    config.registry["poser.sessions"] = settings
    config.set_session_factory(lambda request: ServerSideSession(request, settings))
    # Inside the exception view tween: an error while saving gets an error page.
    config.add_tween("poser_web.auth.sessions.session_tween_factory", under=EXCVIEW)
