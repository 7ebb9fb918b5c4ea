"""Error pages: a clear message and the right 4xx status, never a stack trace."""
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from sqlalchemy.exc import OperationalError

TEMPLATE = "poser_web:templates/error.pt"


def _error_page(request, status, title, message):
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


@forbidden_view_config(renderer=TEMPLATE)
def forbidden(exc, request):
    """Anonymous users go to the login page (and come back after it); others get a 403."""
    if request.identity is None:
        came_from = request.path_qs if request.method == "GET" else request.path
        return HTTPSeeOther(request.route_url("login", _query={"came_from": came_from}))
    return _error_page(request, 403, "Forbidden",
                       "You do not have permission for this page. Ask an administrator for access.")


@exception_view_config(OperationalError, renderer=TEMPLATE)
def database_unavailable(exc, request):
    """The database is busy (a long import holds SQLite's lock) or down: say so, 503.

    Retryable errors (PostgreSQL serialization failures, deadlocks) never get
    here: pyramid_retry replays the request first.
    """
    request.response.headers["Retry-After"] = "30"
    return _error_page(request, 503, "Database busy",
                       "The database could not take this request just now (it may be busy with a "
                       "long import). Nothing was saved; try again in a minute.")
