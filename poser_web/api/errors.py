"""Errors under /api/ answer JSON, never an HTML page: {"error": message} with the status (and
{"errors": {field: [messages]}} for a record the form refuses, write.py)."""
import logging
import secrets

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPBadRequest, HTTPClientError, HTTPException, HTTPNotFound
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


class ApiPath:
    """View predicate `api_path=True`: the raw path is under /api (read from the WSGI environ,
    never decoded: a path of bytes that are not UTF-8 must not fail the check)."""

    def __init__(self, value, config):
        self.value = value

    def text(self):
        return f"api_path = {self.value}"

    phash = text

    def __call__(self, context, request):
        path = request.environ.get("PATH_INFO", "")
        return (path == "/api" or path.startswith("/api/")) == self.value


def _json(request, status, message, **more):
    request.response.status = status
    return {"error": message, **more}


def not_found(exc, request):
    """A view's own message (no such record); the router's (no such route) says less."""
    routed = getattr(request, "matched_route", None) is not None
    detail = exc.detail if routed and isinstance(exc, HTTPNotFound) and exc.detail else (
        "Nothing is at this address.")
    return _json(request, 404, detail)


def forbidden(exc, request):
    """401 without credentials (with the scheme to use), 403 for a user lacking a permission."""
    if request.identity is None:
        request.response.headers["WWW-Authenticate"] = 'Bearer realm="poser"'
        return _json(request, 401, "Send an API token (Authorization: Bearer <token>) or log in.")
    return _json(request, 403, "You do not have the permission this needs.")


def bad_csrf(exc, request):
    return _json(request, 400, "A browser session must send its CSRF token (X-CSRF-Token header) "
                               "with a write; API tokens need none.")


def http_error(exc, request):
    """Any HTTPException raised on purpose (400, 409, 412, 428, ...): its status and detail."""
    if exc.status_int < 400:
        return exc
    for name, value in exc.headers.items():
        if name.lower() in ("retry-after", "allow", "etag", "location"):
            request.response.headers[name] = value
    return _json(request, exc.status_int, exc.detail or exc.title)


def database_unavailable(exc, request):
    request.response.headers["Retry-After"] = "30"
    return _json(request, 503, "The database is busy; nothing was saved. Try again shortly.")


def unexpected(exc, request):
    reference = secrets.token_hex(4).upper()
    log.error("unexpected API error, reference %s, %s %s", reference, request.method,
              request.environ.get("PATH_INFO", ""), exc_info=(type(exc), exc, exc.__traceback__))
    request.response.headers["X-Error-Reference"] = reference
    return _json(request, 500, f"The server could not complete this request; nothing was saved "
                               f"(reference {reference}).", reference=reference)


def includeme(config):
    """The API's exception views: the pages' own (views/errors.py) answer other paths."""
    config.add_view_predicate("api_path", ApiPath)
    add = config.add_exception_view
    # The pages' views are registered per class (views/errors.py): the same classes here, with
    # the path predicate, come first for /api/.
    add(http_error, HTTPBadRequest, renderer="json", api_path=True)
    add(http_error, HTTPClientError, renderer="json", api_path=True)
    add(bad_csrf, BadCSRFToken, renderer="json", api_path=True)
    add(database_unavailable, OperationalError, renderer="json", api_path=True)
    add(http_error, HTTPException, renderer="json", api_path=True)
    add(unexpected, Exception, renderer="json", api_path=True)
    config.add_notfound_view(not_found, renderer="json", api_path=True)
    config.add_forbidden_view(forbidden, renderer="json", api_path=True)
