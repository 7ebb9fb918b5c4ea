"""Error pages: a clear message and the right 4xx status, never a stack trace.

An error nobody foresaw gets a styled 500 page with a reference that is also
logged with the traceback, so a user can quote it and an operator find it.
"""
import logging
import secrets

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import (HTTPBadRequest, HTTPClientError, HTTPException, HTTPNotFound,
                                    HTTPSeeOther)
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from sqlalchemy.exc import OperationalError

from ..auth.sessions import unavailable_session

TEMPLATE = "poser_web:templates/error.pt"
log = logging.getLogger(__name__)


def _without_database(request):
    """Render without touching the database again (it just failed): anonymous, no session,
    unless both were loaded before the error."""
    if "session" not in request.__dict__:
        request.session = unavailable_session()
        request.environ.setdefault("poser.identity", None)


def _error_page(request, status, title, message):
    if not hasattr(request, "context"):
        request.context = None  # refused before routing: the menu's permission checks need one
    request.response.status = status
    return {"title": title, "message": message}


@notfound_view_config(renderer=TEMPLATE)
def not_found(exc, request):
    message = exc.detail if isinstance(exc, HTTPNotFound) and exc.detail else (
        "There is no page at this address.")
    return _error_page(request, 404, "Not found", message)


@exception_view_config(BadCSRFToken, renderer=TEMPLATE)
def bad_csrf(exc, request):
    return _error_page(
        request, 400, "Form expired",
        "This form was missing its security token or the token was out of date, so nothing "
        "was saved. Go back, reload the page and submit again.",
    )


@exception_view_config(HTTPBadRequest, renderer=TEMPLATE)
def bad_request(exc, request):
    return _error_page(request, 400, "Bad request", exc.detail or "The request could not be understood.")


@exception_view_config(HTTPClientError, renderer=TEMPLATE)
def client_error(exc, request):
    """Any other 4xx raised on purpose (413, 409, ...): its own status and message, styled."""
    return _error_page(request, exc.code, exc.title, exc.detail or exc.explanation)


@forbidden_view_config(renderer=TEMPLATE)
def forbidden(exc, request):
    """Anonymous users go to the login page (and come back after it); others get a 403."""
    if request.identity is None:
        came_from = request.path_qs if request.method == "GET" else request.path
        return HTTPSeeOther(request.route_url("login", _query={"came_from": came_from}))
    # A view's own refusal says why; a failed permission check (it carries its `result`) does not.
    own = getattr(exc, "result", None) is None and isinstance(exc, HTTPException) and exc.detail
    return _error_page(request, 403, "Forbidden", own or (
        "You do not have permission for this page. Ask an administrator for access."))


@exception_view_config(OperationalError, renderer=TEMPLATE)
def database_unavailable(exc, request):
    """The database is busy (a long import holds SQLite's lock) or down: say so, 503.

    Retryable errors (PostgreSQL serialization failures, deadlocks) never get
    here: pyramid_retry replays the request first.
    """
    _without_database(request)
    request.response.headers["Retry-After"] = "30"
    return _error_page(request, 503, "Database busy",
                       "The database could not take this request just now (it may be busy with a "
                       "long import). Nothing was saved; try again in a minute.")


@exception_view_config(Exception, renderer=TEMPLATE)
def unexpected_error(exc, request):
    """Anything else: a styled 500 page, and the traceback logged under a reference."""
    if isinstance(exc, HTTPException):
        return exc  # a response raised on purpose is its own answer
    reference = secrets.token_hex(4).upper()
    log.error("unexpected error, reference %s, %s %s", reference, request.method,
              request.environ.get("PATH_INFO", ""), exc_info=(type(exc), exc, exc.__traceback__))
    _without_database(request)
    request.response.headers["X-Error-Reference"] = reference
    return _error_page(request, 500, "Something went wrong",
                       f"The server could not complete this request; nothing was saved. If it "
                       f"happens again, tell an administrator the reference {reference}.")
