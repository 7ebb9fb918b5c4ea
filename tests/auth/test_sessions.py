"""Server-side sessions: they really end, their cookie reveals nothing, they time out."""
import base64
from datetime import timedelta

import pytest
import webtest
from sqlalchemy import select, update

from poser_web import main
from poser_web.auth import session_rows, sessions
from poser_web.auth.passwords import hash_password
from poser_web.auth.sessions import parse_duration, token_id
from poser_web.models import ServerSession, User, utcnow
from tests.helpers import PASSWORD, add_user, log_in


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    other = webtest.TestApp(app, extra_environ=dict(client.extra_environ))
    other.set_cookie("poser_session", client.cookies["poser_session"])
    return other


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann")
    stolen = copy_of(app, anonymous_app)
    stolen.get("/widgets", status=200)
    anonymous_app.get("/widgets").forms[0].submit(status=303)  # Log out
    stolen.get("/widgets", status=303)
    assert "/login" in stolen.get("/widgets").location


def test_the_cookie_is_an_opaque_random_token(app, anonymous_app, dbsession):
    user = add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann")
    token = anonymous_app.cookies["poser_session"]
    assert len(token) == 43 and "." not in token
    raw = base64.urlsafe_b64decode(token + "=")
    assert user.uuid.encode() not in raw and b"ann" not in raw
    csrf = anonymous_app.get("/widgets").forms[0]["csrf_token"].value
    assert csrf not in token and csrf.encode() not in raw
    # The table keeps only an HMAC of the token: a copy of it opens no session.
    row = dbsession.scalars(select(ServerSession).where(ServerSession.user_uuid == user.uuid)).one()
    assert row.id == token_id(token, app.registry["poser.sessions"].key) != token


def test_deactivation_ends_sessions_for_good(app, anonymous_app, dbsession):
    user = add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann")
    old = copy_of(app, anonymous_app)
    user.active = False
    dbsession.flush()
    anonymous_app.get("/widgets", status=303)
    user.active = True  # reactivated: the old cookie stays dead
    dbsession.flush()
    old.get("/widgets", status=303)
    anonymous_app.get("/widgets", status=303)
    log_in(anonymous_app, "ann")
    anonymous_app.get("/widgets", status=200)


def test_a_password_changed_elsewhere_ends_sessions(anonymous_app, dbsession):
    """`poser passwd` (or any code changing the hash) logs the user out everywhere."""
    user = add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann")
    user.password_hash = hash_password("another secret!")
    dbsession.flush()
    anonymous_app.get("/widgets", status=303)


def test_log_out_my_other_sessions(app, anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    phone = webtest.TestApp(app, extra_environ=dict(anonymous_app.extra_environ))
    log_in(phone, "ann")
    log_in(anonymous_app, "ann")
    page = anonymous_app.get("/password")
    assert "You are logged in 1 other time (" in " ".join(page.text.split())
    response = page.forms[2].submit("logout_others", status=303)
    assert "Logged out 1 other session." in response.follow().text
    phone.get("/widgets", status=303)
    anonymous_app.get("/widgets", status=200)
    assert "You are logged in 0 other times (" in " ".join(
        anonymous_app.get("/password").text.split())


def test_a_session_ends_when_idle(anonymous_app, dbsession, monkeypatch):
    add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann")
    later = utcnow() + sessions.DEFAULT_IDLE_TIMEOUT - timedelta(minutes=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    anonymous_app.get("/widgets", status=200)  # still alive, and kept alive by this visit
    even_later = later + sessions.DEFAULT_IDLE_TIMEOUT - timedelta(minutes=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: even_later)
    anonymous_app.get("/widgets", status=200)
    idle = even_later + sessions.DEFAULT_IDLE_TIMEOUT + timedelta(seconds=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: idle)
    anonymous_app.get("/widgets", status=303)


def test_a_session_ends_at_its_absolute_lifetime_however_active(anonymous_app, dbsession, monkeypatch):
    add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann")
    start = utcnow()
    step = sessions.DEFAULT_IDLE_TIMEOUT / 2
    now = start
    while now + step < start + sessions.DEFAULT_MAX_AGE:
        now += step
        monkeypatch.setattr(sessions, "utcnow", lambda now=now: now)
        anonymous_app.get("/widgets", status=200)
    monkeypatch.setattr(sessions, "utcnow", lambda: start + sessions.DEFAULT_MAX_AGE)
    anonymous_app.get("/widgets", status=303)


def test_timeouts_are_configurable(app_settings, tm, dbsession):
    assert parse_duration("30m", None) == timedelta(minutes=30)
    assert parse_duration("7d", None) == timedelta(days=7)
    assert parse_duration("90", None) == timedelta(seconds=90)
    assert parse_duration("", timedelta(hours=8)) == timedelta(hours=8)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon", None)
    app = main({}, **dict(app_settings, **{"poser.session_idle_timeout": "30m"}))
    try:
        client = webtest.TestApp(app, extra_environ={
            "HTTP_HOST": "example.com", "tm.active": True, "tm.manager": tm,
            "app.dbsession": dbsession})
        user = add_user(dbsession, "ann", admin=True)
        log_in(client, "ann")
        dbsession.execute(update(ServerSession).where(ServerSession.user_uuid == user.uuid)
                          .values(last_seen_at=utcnow() - timedelta(minutes=29)))
        client.get("/widgets", status=200)
        dbsession.execute(update(ServerSession).where(ServerSession.user_uuid == user.uuid)
                          .values(last_seen_at=utcnow() - timedelta(minutes=31)))
        client.get("/widgets", status=303)
    finally:
        app.registry["db_engine"].dispose()


def test_expired_sessions_are_removed_at_the_next_login(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    dbsession.add(ServerSession(id="f" * 64, data="{}", created_at=utcnow() - timedelta(days=3),
                                last_seen_at=utcnow() - timedelta(days=3)))
    dbsession.flush()
    log_in(anonymous_app, "ann")
    assert dbsession.get(ServerSession, "f" * 64, populate_existing=True) is None


def test_an_unknown_or_malformed_cookie_is_a_new_anonymous_session(anonymous_app):
    for value in ("x" * 43, "not a token", "\u00e9" * 43):
        anonymous_app.set_cookie("poser_session", value.encode("utf-8").decode("latin-1"))
        anonymous_app.get("/widgets", status=303)
        assert anonymous_app.get("/login").status_int == 200


def secure_app(app_settings, tm, dbsession, **extra):
    app = main({}, **dict(app_settings, **extra))
    client = webtest.TestApp(app, extra_environ={
        "HTTP_HOST": "example.com", "tm.active": True, "tm.manager": tm,
        "app.dbsession": dbsession})
    return app, client


def test_secure_cookies_setting_marks_the_cookie_and_sends_hsts(app_settings, tm, dbsession):
    app, client = secure_app(app_settings, tm, dbsession, **{"poser.secure_cookies": "true"})
    try:
        response = client.get("/login")  # plain HTTP here: TLS ends at the proxy
        assert "secure" in response.headers["Set-Cookie"].lower()
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        app.registry["db_engine"].dispose()


def test_no_hsts_unless_configured(anonymous_app, app_settings, tm, dbsession):
    assert "Strict-Transport-Security" not in anonymous_app.get("/login").headers
    app, client = secure_app(app_settings, tm, dbsession, **{"poser.hsts_max_age": "600"})
    try:
        assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=600"
    finally:
        app.registry["db_engine"].dispose()


def test_user_rows_are_untouched_by_a_session_visit(testapp, dbsession):
    """Reading a page writes no session row unless something in it changed."""
    testapp.get("/widgets")  # shows (and so removes) the welcome message
    user = dbsession.scalars(select(User).where(User.username == "admin")).one()
    row = dbsession.scalars(select(ServerSession).where(ServerSession.user_uuid == user.uuid)).one()
    before = (row.data, row.last_seen_at)
    testapp.get("/widgets")
    dbsession.refresh(row)
    assert (row.data, row.last_seen_at) == before


def test_password_page_still_works_after_the_change(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann")
    form = anonymous_app.get("/password").forms[1]
    form["current_password"] = PASSWORD
    form["new_password"] = form["confirm_password"] = "a brand new secret"
    form.submit(status=303)
    anonymous_app.get("/password", status=200)


def test_changing_the_secret_ends_every_session(anonymous_app, dbsession, app_settings, tm):
    add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann")
    app, client = secure_app(app_settings, tm, dbsession, **{"poser.secret": "another-" + "y" * 40})
    try:
        client.set_cookie("poser_session", anonymous_app.cookies["poser_session"])
        client.get("/widgets", status=303)
        anonymous_app.get("/widgets", status=200)  # the app with the old secret still knows it
    finally:
        app.registry["db_engine"].dispose()


@pytest.mark.only_db("sqlite")
def test_reading_a_page_never_waits_long_or_fails_for_its_session_write(app_settings, db_kind,
                                                                        engine):
    """SQLite: while another connection holds the write lock (a long import), pages
    still read; the session's own write (here, noting that it was used: last seen two
    minutes ago) is skipped after a second's wait at most, not the 15 s a saving request
    waits, and made by a later page."""
    from sqlalchemy import delete, event, insert

    from poser_web.models import LoginFailure

    app = main({}, **app_settings)
    tried = []  # the busy timeout (ms) each write of a request was tried under

    def watch(connection, cursor, statement, parameters, context, executemany):
        # Each write, and each BEGIN IMMEDIATE (where a writer waits for the write lock).
        if statement.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE") or \
                statement.upper().startswith("BEGIN IMMEDIATE"):
            probe = connection.connection.dbapi_connection.execute("PRAGMA busy_timeout")
            tried.append(probe.fetchone()[0])
            probe.close()

    event.listen(app.registry["db_engine"], "before_cursor_execute", watch)
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
    with engine.begin() as connection:
        connection.execute(insert(User).values(uuid="9" * 32, username="reader-ann",
                                               password_hash=hash_password(PASSWORD)))
    try:
        log_in(client, "reader-ann")
        long_ago = utcnow() - timedelta(minutes=2)

        def last_seen():
            with engine.connect() as connection:
                return connection.scalar(select(ServerSession.last_seen_at))

        with engine.begin() as connection:
            connection.execute(update(ServerSession).values(last_seen_at=long_ago))
        holder = engine.raw_connection()
        try:
            holder.execute("BEGIN IMMEDIATE")
            tried.clear()
            assert "Welcome, reader-ann." in client.get("/password", status=200).text
            stranger = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
            cookies = stranger.get("/login", status=200).headers.getall("Set-Cookie")
            # No session row to write: a new visitor's login form works all the same.
            assert [c.split("=")[0] for c in cookies] == ["poser_csrf"]
            assert tried and max(tried) <= 1000, tried  # the session's write, tried briefly
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert last_seen() == long_ago  # not written while the database was busy
        client.get("/password", status=200)
        assert last_seen() > long_ago  # written now
    finally:
        app.registry["db_engine"].dispose()
        with engine.begin() as connection:
            connection.execute(delete(ServerSession))
            connection.execute(delete(LoginFailure))
            connection.execute(delete(User).where(User.uuid == "9" * 32))


def test_poser_passwd_logs_the_user_out_everywhere(cli_db):
    from sqlalchemy import insert

    from tests.cli.test_cli_users import INI, run

    run(["adduser", INI, "carol"], "first password\n")
    carol = cli_db.scalars(select(User).where(User.username == "carol")).one()
    with cli_db.get_bind().begin() as connection:
        connection.execute(insert(ServerSession).values(
            id="c" * 64, user_uuid=carol.uuid, data="{}", created_at=utcnow(),
            last_seen_at=utcnow()))
    assert run(["passwd", INI, "carol"], "second password\n") == 0
    cli_db.expire_all()
    assert cli_db.get(ServerSession, "c" * 64) is None


def test_anonymous_visits_store_no_session_until_there_is_something_to_keep(anonymous_app,
                                                                               dbsession):
    """Each anonymous GET /login stored a row (300 requests, 300 rows kept for 8 hours)."""
    add_user(dbsession, "ann", admin=True)
    for _ in range(5):
        anonymous_app.get("/login")
        anonymous_app.get("/widgets", status=303)
    assert dbsession.scalars(select(ServerSession)).all() == []
    assert "poser_session" not in anonymous_app.cookies
    log_in(anonymous_app, "wrong", status=401)  # the CSRF token of the page still holds
    assert dbsession.scalars(select(ServerSession)).all() == []
    log_in(anonymous_app, "ann")  # a login is something to keep
    [row] = dbsession.scalars(select(ServerSession)).all()
    assert row.user_uuid is not None


def test_the_anonymous_csrf_token_belongs_to_its_own_cookie(app, anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    token = anonymous_app.get("/login").forms[0]["csrf_token"].value
    other = webtest.TestApp(app, extra_environ=dict(anonymous_app.extra_environ))
    other.get("/login")  # a cookie of its own: the first visitor's token is worth nothing here
    response = other.post("/login", {"csrf_token": token, "username": "ann",
                                     "password": PASSWORD}, status=400)
    assert "Form expired" in response.text
    nobody = webtest.TestApp(app, extra_environ=dict(anonymous_app.extra_environ))
    nobody.post("/login", {"csrf_token": token, "username": "ann", "password": PASSWORD},
                status=400)
    log_in(anonymous_app, "ann")


def test_the_session_read_goes_through_the_connection_events_and_errors(dbsession, monkeypatch):
    """The session row is read on the driver's cursor (auth/session_rows.py), not through
    SQLAlchemy's statement execution; still, the engine's cursor events see the statement,
    the row's values come back as SQLAlchemy would give them, and a driver error is raised as
    SQLAlchemy's own (the 503 page, a lost connection replaced)."""
    from types import SimpleNamespace

    from sqlalchemy import event, exc, insert

    user = add_user(dbsession, "ann", admin=True)
    token, now = "t" * 43, utcnow().replace(microsecond=123456)
    dbsession.execute(insert(ServerSession).values(
        id=token_id(token, b"k" * 32), user_uuid=user.uuid, data='{"a": 1}', created_at=now,
        last_seen_at=now))
    request = SimpleNamespace(environ={"HTTP_COOKIE": f"poser_session={token}"}, dbsession=dbsession)
    config = sessions.SessionSettings({"poser.secret": "k" * 32})
    connection = dbsession.connection()
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", note)
    try:
        session = sessions.ServerSideSession(request, config)
    finally:
        event.remove(connection, "before_cursor_execute", note)
    assert any("FROM poser_session" in statement for statement in seen)
    assert session.token == token and session["a"] == 1 and session.user_uuid == user.uuid
    assert session._last_seen == now and session.created == now.timestamp()
    assert session.identity_rows[0].active is True and session.identity_rows[0].username == "ann"

    loader = session_rows.row_loader(connection.dialect)
    monkeypatch.setattr(loader, "sql", "SELECT id FROM poser_no_such_table")
    with pytest.raises(exc.DBAPIError), dbsession.begin_nested():
        sessions.ServerSideSession(request, config)
