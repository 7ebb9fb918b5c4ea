"""Logging in and out, redirects, throttling, sessions tied to the password."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from poser_web.auth import throttle
from poser_web.auth.passwords import hash_password
from poser_web.models import User
from tests.helpers import PASSWORD, add_user, log_in


def test_anonymous_users_are_sent_to_login_and_back(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    response = anonymous_app.get("/widgets?q=bolt&sort=description", status=303)
    assert response.location == "http://example.com/login?came_from=%2Fwidgets%3Fq%3Dbolt%26sort%3Ddescription"
    login_page = response.follow()
    assert login_page.html.find("input", attrs={"name": "came_from"})["value"] == "/widgets?q=bolt&sort=description"
    done = log_in(anonymous_app, "ann", came_from="/widgets?q=bolt&sort=description")
    assert done.location == "http://example.com/widgets?q=bolt&sort=description"
    assert "Welcome, ann." in done.follow().text


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/ok\r\nLocation: https://evil.example",
])
def test_no_open_redirect(anonymous_app, dbsession, target):
    add_user(dbsession, "ann", admin=True)
    response = log_in(anonymous_app, "ann", came_from=target)
    assert response.location == "http://example.com/"


@pytest.mark.parametrize("path", ["/", "/widgets", "/widgets/new", "/components", "/password",
                                  "/widgets/" + "0" * 32])
def test_every_page_needs_a_login(anonymous_app, path):
    response = anonymous_app.get(path, status=303)
    assert response.location.startswith("http://example.com/login?came_from=")


def test_login_page_and_static_files_are_public(anonymous_app):
    assert anonymous_app.get("/login").status_int == 200
    assert anonymous_app.get("/static/poser.js").status_int == 200
    assert anonymous_app.get("/deform-static/css/bootstrap.min.css").status_int == 200


def test_wrong_password_is_refused(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    response = log_in(anonymous_app, "ann", password="wrong password", status=401)
    assert "Wrong username or password." in response.text
    assert response.html.find("input", attrs={"name": "username"})["value"] == "ann"
    anonymous_app.get("/widgets", status=303)


def test_unknown_and_inactive_users_get_the_same_answer(anonymous_app, dbsession):
    add_user(dbsession, "gone", admin=True).active = False
    dbsession.flush()
    for name in ("nobody", "gone"):
        response = log_in(anonymous_app, name, status=401)
        assert "Wrong username or password." in response.text


def test_logout_needs_post_and_ends_the_session(testapp):
    assert testapp.get("/logout").status_int == 200  # a confirmation page, no change
    testapp.get("/widgets", status=200)
    form = testapp.get("/widgets").forms[0]
    assert form.action.endswith("/logout")
    response = form.submit(status=303)
    assert response.location.endswith("/login")
    testapp.get("/widgets", status=303)


def test_logout_without_csrf_token_is_refused(testapp):
    testapp.post("/logout", {}, status=400)
    testapp.get("/widgets", status=200)


def test_repeated_failures_slow_down_that_username(anonymous_app, dbsession, monkeypatch):
    add_user(dbsession, "ann", admin=True)
    for _ in range(throttle.MAX_FAILURES_PER_USERNAME):
        log_in(anonymous_app, "ann", password="guess", status=401)
    # Even the right password waits now.
    response = log_in(anonymous_app, "ann", status=429)
    assert "Too many failed attempts" in response.text
    assert int(response.headers["Retry-After"]) > 0
    # Time passes: allowed again.
    later = throttle.utcnow() + throttle.WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    log_in(anonymous_app, "ann", status=303)


def test_repeated_failures_slow_down_that_address(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
        log_in(anonymous_app, f"guess{i}", status=401)
    log_in(anonymous_app, "ann", status=429)


def test_success_clears_the_failures(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    for _ in range(throttle.MAX_FAILURES_PER_USERNAME - 1):
        log_in(anonymous_app, "ann", password="guess", status=401)
    log_in(anonymous_app, "ann")
    anonymous_app.reset()
    for _ in range(throttle.MAX_FAILURES_PER_USERNAME - 1):
        log_in(anonymous_app, "ann", password="guess", status=401)
    log_in(anonymous_app, "ann")


def test_session_cookie_flags(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    response = log_in(anonymous_app, "ann")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "secure" not in cookie.lower()
    anonymous_app.reset()
    https = anonymous_app.get("/login", extra_environ={"wsgi.url_scheme": "https"})
    assert "secure" in https.headers["Set-Cookie"].lower()


def test_login_starts_a_new_session(anonymous_app, dbsession):
    add_user(dbsession, "ann", admin=True)
    anonymous_app.set_cookie("poser_session", "a" * 43)  # planted by someone else
    log_in(anonymous_app, "ann").follow()
    assert anonymous_app.cookies["poser_session"] != "a" * 43
    anonymous_app.get("/widgets").forms[0].submit(status=303)  # log out: "You are logged out."
    # The message travels in the flash cookie: no session row (nor its cookie) is kept for it.
    assert "You are logged out." in anonymous_app.get("/login").text
    before = anonymous_app.cookies.get("poser_session")
    log_in(anonymous_app, "ann")
    assert anonymous_app.cookies["poser_session"] not in (before, "a" * 43)


def test_changing_the_password_logs_out_other_sessions(app, anonymous_app, dbsession, tm):
    import webtest

    add_user(dbsession, "ann", admin=True)
    other = webtest.TestApp(app, extra_environ=dict(anonymous_app.extra_environ))
    log_in(anonymous_app, "ann")
    log_in(other, "ann")
    page = anonymous_app.get("/password")
    form = page.forms[1]
    form["current_password"] = PASSWORD
    form["new_password"] = form["confirm_password"] = "a brand new secret"
    response = form.submit(status=303)
    assert "other sessions are logged out" in response.follow().text
    anonymous_app.get("/widgets", status=200)  # this session goes on
    other.get("/widgets", status=303)  # the other one is over
    log_in(other, "ann", password="a brand new secret")


def test_password_change_validation(testapp):
    form = testapp.get("/password").forms[1]
    form["current_password"] = "not it"
    form["new_password"] = "short"
    form["confirm_password"] = "short"
    response = form.submit(status=400)
    assert "That is not your current password." in response.text
    assert "Use at least 8 characters." in response.text


def test_password_is_stored_as_a_salted_slow_hash(dbsession):
    add_user(dbsession, "ann", password="same password")
    add_user(dbsession, "bob", password="same password")
    hashes = [u.password_hash for u in dbsession.scalars(select(User).order_by(User.username))]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert hashes[0] != hashes[1]
    assert "same password" not in hashes[0]
    assert hash_password("x") != hash_password("x")
