"""One log line per request: method, path, status and milliseconds.

Logged at INFO on the `poser_web.requests` logger, so development.ini and
production.ini show it and tests (logging not configured) stay quiet. This
tween runs outside the input guard, so it logs the raw address, percent-encoded
as received: bytes that are not UTF-8 (`/%ff`) are logged, never decoded.
"""
import logging
import time
from urllib.parse import quote

log = logging.getLogger("poser_web.requests")
LONGEST = 200
# Kept as they are in the logged address; anything else is percent-encoded.
SAFE = "/?&=:;,+@!$'()*-._~%"


def logged_address(environ):
    """The request's path and query as ASCII, whatever bytes they hold (WSGI strings are latin-1)."""
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    text = quote(path.encode("latin-1", "replace"), safe=SAFE)
    if query:
        text += "?" + quote(query.encode("latin-1", "replace"), safe=SAFE)
    return text if len(text) <= LONGEST else text[:LONGEST] + "…"


_CALLER = []  # (file, line, function, stack) of the tween's call, as log.info would find it


def _log(*args):
    """log.info("%s %s %s %.1f ms", *args), less the stack walk finding where it was called
    from (the same place every time: looked up at the first line logged)."""
    if not _CALLER:
        _CALLER.append(log.findCaller(stacklevel=2))
    path, line, function, _ = _CALLER[0]
    log.handle(log.makeRecord(log.name, logging.INFO, path, line, "%s %s %s %.1f ms", args,
                              None, function))


def request_log_tween_factory(handler, registry):
    def request_log_tween(request):
        if not log.isEnabledFor(logging.INFO):
            return handler(request)
        started = time.perf_counter()
        status = 500  # unless a response comes back
        try:
            response = handler(request)
            status = response.status_code
            return response
        finally:
            ms = (time.perf_counter() - started) * 1000
            _log(request.method, logged_address(request.environ), status, ms)

    return request_log_tween


def includeme(config):
    config.add_tween("poser_web.web.request_log.request_log_tween_factory")
