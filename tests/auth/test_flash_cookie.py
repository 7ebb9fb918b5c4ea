"""Flash messages travel to the next page in a signed cookie (auth/flash_cookie.py)."""
from sqlalchemy import event

from poser_web.auth import flash_cookie
from tests.helpers import add_user, log_in

KEY = b"k" * 32


def test_a_message_shows_once_on_the_next_page_without_a_session_write(
        anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    response = log_in(anonymous_app, "ann")  # "Welcome, ann." flashed, then a redirect
    assert flash_cookie.COOKIE_NAME in anonymous_app.cookies
    writes = []

    def note(connection, cursor, statement, *args):
        if statement.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    engine = dbsession.get_bind().engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        page = response.follow()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert "Welcome, ann." in page.text
    assert writes == []  # showing it wrote nothing
    assert "Welcome, ann." not in anonymous_app.get("/widgets").text


def test_a_forged_or_altered_cookie_shows_nothing(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    log_in(anonymous_app, "ann").follow()
    forged = flash_cookie.encode(b"not the app's secret".ljust(32, b"!"), {"success": ["Forged!"]})
    anonymous_app.set_cookie(flash_cookie.COOKIE_NAME, forged)
    assert "Forged!" not in anonymous_app.get("/widgets").text
    payload, _, signature = flash_cookie.encode(KEY, {"success": ["Hi"]}).partition(".")
    altered = flash_cookie.encode(KEY, {"success": ["Bye"]}).partition(".")[0] + "." + signature
    assert flash_cookie.decode(KEY, altered) == {}
    assert flash_cookie.decode(KEY, f"{payload}.{signature}") == {"success": ["Hi"]}
    assert flash_cookie.decode(KEY, "garbage") == {}


def test_messages_too_long_for_a_cookie_are_not_encoded():
    assert flash_cookie.encode(KEY, {"success": ["x" * 5000]}) is None
