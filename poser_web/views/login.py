"""Log in, log out, change one's password."""
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config
from sqlalchemy import select

from ..models import User
from ..passwords import hash_password, password_problem, verify_password
from ..permissions import AUTHENTICATED
from ..throttle import clear_failures, locked_for, record_failure
from .accounts import remember_password_must_change

# Compared against when the username is unknown, so both cases take as long.
_UNKNOWN_USER_HASH = None


def safe_next(request, target):
    """`target` if it is a path on this site, else the start page (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not any(c in target for c in "\\\r\n\t"):
            return request.application_url + target
    return request.route_url("home")


def _check_password(user, password):
    global _UNKNOWN_USER_HASH
    if user is None:
        _UNKNOWN_USER_HASH = _UNKNOWN_USER_HASH or hash_password("unknown user")
        verify_password(_UNKNOWN_USER_HASH, password)
        return False
    return user.active and verify_password(user.password_hash, password)


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
    address = request.client_addr or "unknown"
    values["username"] = username
    wait = locked_for(db, username, address)
    if wait:
        request.response.status = 429
        request.response.headers["Retry-After"] = str(wait)
        values["message"] = (f"Too many failed attempts. Try again in {wait // 60 + 1} "
                             f"minute{'s' if wait > 60 else ''}.")
        return values
    user = db.scalars(select(User).where(User.username == username)).first()
    if not _check_password(user, password):
        record_failure(db, username, address)
        request.response.status = 401
        values["message"] = "Wrong username or password."
        return values
    clear_failures(db, username)
    remember(request, user)
    request.session.flash(f"Welcome, {user.username}.", "success")
    # A temporary password (set by an administrator) is changed before anything else.
    must_change = remember_password_must_change(request, user)
    if must_change:
        return must_change
    return HTTPSeeOther(safe_next(request, came_from))


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
    errors = {}
    if request.method == "POST":
        user = request.dbsession.get(User, request.identity.uuid)
        new = request.POST.get("new_password", "")
        if not verify_password(user.password_hash, request.POST.get("current_password", "")):
            errors["current_password"] = "That is not your current password."
        problem = password_problem(new)
        if problem:
            errors["new_password"] = problem
        elif new != request.POST.get("confirm_password", ""):
            errors["confirm_password"] = "The two new passwords differ."
        elif user.must_change_password and verify_password(user.password_hash, new):
            errors["new_password"] = "Choose a password of your own, not the temporary one."
        if not errors:
            user.password_hash = hash_password(new)
            user.must_change_password = False
            remember(request, user)  # this session goes on; every other one ends
            request.session.flash("Your password is changed; other sessions are logged out.",
                                  "success")
            return HTTPSeeOther(request.route_url("home"))
        request.response.status = 400
    return {"errors": errors}
