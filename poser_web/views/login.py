"""Log in, log out, change one's password, log out one's other sessions."""
from urllib.parse import quote, urlsplit

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config
from sqlalchemy import select

from ..auth import devices, passwords, throttle
from ..auth.passwords import hash_password, password_problem, verify_password
from ..auth.permissions import AUTHENTICATED
from ..models import User
from .accounts import remember_password_must_change

# Characters a redirect target keeps as they are; anything else (non-ASCII,
# spaces) is percent-encoded as UTF-8, existing %XX escapes included.
URL_SAFE = "/?#[]@!$&'()*+,;=:%~-._"

# Verified against when the username is unknown, so every outcome costs one
# hash verification (per hasher: tests swap in a cheaper one).
_unknown_user_hashes = {}


def safe_next(request, target):
    """`target` if it is a path on this site, else the start page (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not any(c in target for c in "\\\r\n\t"):
            return request.application_url + quote(target, safe=URL_SAFE)
    return request.route_url("home")


def check_password(user, password):
    """True if `user` may log in with `password`: one hash verification whatever the
    outcome (unknown user, inactive user, wrong or right password), so none is
    told apart by time."""
    if user is None:
        hasher = passwords.hasher
        if hasher not in _unknown_user_hashes:
            _unknown_user_hashes[hasher] = hash_password("unknown user")
        verify_password(_unknown_user_hashes[hasher], password)
        return False
    matches = verify_password(user.password_hash, password)
    return matches and user.active


def throttled(request, username, client, values):
    """The 429 answer if `username` is locked for this client (after taking the lock)."""
    throttle.lock(request.dbsession, client)
    wait = throttle.locked_for(request.dbsession, username, client)
    if not wait:
        return None
    request.response.status = 429
    request.response.headers["Retry-After"] = str(wait)
    minutes = -(-wait // 60)
    values["message"] = (f"Too many failed attempts. Try again in {minutes} "
                         f"minute{'s' if minutes > 1 else ''}.")
    return values


@view_config(route_name="login", renderer="poser_web:templates/login.pt",
             permission=NO_PERMISSION_REQUIRED)
def login(request):
    came_from = request.params.get("came_from", "")
    values = {"came_from": came_from, "username": "", "message": None}
    if request.method == "GET" and request.identity is not None:
        return HTTPSeeOther(safe_next(request, came_from))
    if request.method != "POST":
        return values

    db = request.dbsession
    username = request.POST.get("username", "").strip()[:50]
    password = request.POST.get("password", "")
    client = throttle.client_of(request, username)
    values["username"] = username
    if throttled(request, username, client, values):
        return values
    user = db.scalars(select(User).where(User.username == username)).first()
    if not check_password(user, password):
        throttle.record_failure(db, username, client)
        request.response.status = 401
        values["message"] = "Wrong username or password."
        return values
    throttle.clear_failures(db, username, client)
    remember(request, user)
    request.session.flash(f"Welcome, {user.username}.", "success")
    # A temporary password (set by an administrator) is changed before anything else.
    response = (remember_password_must_change(request, user)
                or HTTPSeeOther(safe_next(request, came_from)))
    devices.remember_device(request, response, user.username)
    return response


@view_config(route_name="logout", renderer="poser_web:templates/logout.pt",
             permission=NO_PERMISSION_REQUIRED)
def logout(request):
    if request.method != "POST":
        return {}
    forget(request)
    request.session.flash("You are logged out.", "success")
    return HTTPSeeOther(request.route_url("login"))


@view_config(route_name="password", renderer="poser_web:templates/password.pt",
             permission=AUTHENTICATED)
def change_password(request):
    """Change one's password (the current one is checked and throttled like the login),
    or log out one's other sessions."""
    errors = {}
    values = {"errors": errors, "message": None}
    session = request.session
    if request.method == "POST" and "logout_others" in request.POST:
        ended = session.end_other_sessions()
        session.flash(f"Logged out {ended} other session{'' if ended == 1 else 's'}.", "success")
        return HTTPSeeOther(request.route_url("password"))
    if request.method == "POST":
        db = request.dbsession
        user = db.get(User, request.identity.uuid)
        client = throttle.client_of(request, user.username)
        if throttled(request, user.username, client, values):
            values["other_sessions"] = session.other_session_count()
            return values
        new = request.POST.get("new_password", "")
        if not verify_password(user.password_hash, request.POST.get("current_password", "")):
            errors["current_password"] = "That is not your current password."
            throttle.record_failure(db, user.username, client)
        problem = password_problem(new)
        if problem:
            errors["new_password"] = problem
        elif new != request.POST.get("confirm_password", ""):
            errors["confirm_password"] = "The two new passwords differ."
        elif user.must_change_password and verify_password(user.password_hash, new):
            errors["new_password"] = "Choose a password of your own, not the temporary one."
        if not errors:
            throttle.clear_failures(db, user.username, client)
            user.password_hash = hash_password(new)  # ends every session of the user...
            user.must_change_password = False
            remember(request, user)  # ...and this one goes on, under a new token
            request.session.flash("Your password is changed; other sessions are logged out.",
                                  "success")
            return HTTPSeeOther(request.route_url("home"))
        request.response.status = 400
    values["other_sessions"] = session.other_session_count()
    return values
