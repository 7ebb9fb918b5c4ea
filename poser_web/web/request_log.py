"""One log line per request: method, path, status and milliseconds.

Logged at INFO on the `poser_web.requests` logger, so development.ini and
production.ini show it and tests (logging not configured) stay quiet.
"""
import logging
import time

log = logging.getLogger("poser_web.requests")


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
            path = request.path_qs if len(request.path_qs) <= 200 else request.path_qs[:200] + "…"
            log.info("%s %s %s %.1f ms", request.method, path, status, ms)

    return request_log_tween


def includeme(config):
    config.add_tween("poser_web.web.request_log.request_log_tween_factory")
