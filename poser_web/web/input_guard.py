"""One guard for every route: input the app cannot take is refused with 4xx before any view runs.

- Size, before anything is parsed: a body over the cap is refused with 413 — a form
  (`MAX_FORM_BYTES`) or a multipart upload (the cap a page that takes files raises with
  `allow_uploads`); and anyone not logged in may send `ANONYMOUS_MAX_BYTES` at most (the
  login form is small), so nobody unknown makes the server parse a big body. A big body
  from a logged-in user is parsed after the transaction that read the user has ended, so
  no database lock is held meanwhile.
- Text: a path, query string or form field that is not valid UTF-8, or holds a NUL
  character (which PostgreSQL refuses in text, deep inside a query), a form declared in
  another charset, or a multipart part without a name, would otherwise surface as a 500
  wherever it is first used. Uploaded files are left alone: they are bytes, not text.
"""
from pyramid.httpexceptions import HTTPBadRequest, HTTPRequestEntityTooLarge
from pyramid.tweens import EXCVIEW

from .form_body import read_form
from .transaction import release_database

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FORM_BYTES = 2 << 20  # 200 components with long descriptions fit in a tenth of it
ANONYMOUS_MAX_BYTES = 64 << 10
REGISTRY_KEY = "poser.max_upload_body"


def allow_uploads(config, max_bytes):
    """Let multipart bodies up to `max_bytes` in (a page that takes files calls this)."""
    current = config.registry.get(REGISTRY_KEY, MAX_FORM_BYTES)
    config.registry[REGISTRY_KEY] = max(current, max_bytes)


def size_problem(request):
    """Why the body is too big to read, or None (checked before it is parsed)."""
    size = request.content_length or 0
    if size <= ANONYMOUS_MAX_BYTES:
        return None
    if request.content_type == "multipart/form-data":
        limit = request.registry.get(REGISTRY_KEY, MAX_FORM_BYTES)
    else:
        limit = MAX_FORM_BYTES
    if size > limit:
        return f"The request is larger than the limit of {limit / (1 << 20):g} MB; nothing was saved."
    if request.identity is None:
        return "Log in first: requests this large are taken from logged-in users only."
    release_database(request)  # reading the user took the write lock: parse holding none
    return None


def text_problem(request):
    """Why the request's text is unacceptable, or None."""
    try:
        path = request.path_info
    except UnicodeDecodeError:
        return "The address is not valid UTF-8."
    if "\x00" in path:
        return "The address contains a NUL character."
    try:
        fields = list(request.GET.items())
    except UnicodeDecodeError:
        return "The address's parameters are not valid UTF-8."
    if request.method not in ("GET", "HEAD") and request.content_type in FORM_TYPES:
        if request.charset != "UTF-8":
            return f"The form must be sent as UTF-8, not {request.charset[:40]!r}."
        try:
            read_form(request)
            fields += [(k, v) for k, v in request.POST.items() if isinstance(v, str) or k is None]
        except (UnicodeDecodeError, ValueError):
            return "The form's data is not valid UTF-8 or not well formed."
    for name, value in fields:
        if name is None:
            return "A part of the form has no name."
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            return f"The field {name.replace(chr(0), '')!r} contains a NUL character."
    return None


def input_guard_tween_factory(handler, registry):
    def input_guard(request):
        too_big = size_problem(request)
        if too_big:
            raise HTTPRequestEntityTooLarge(too_big)  # under the exception view: a styled page
        message = text_problem(request)
        if message:
            if request.method not in ("GET", "HEAD"):
                message += " The form was not saved."
            raise HTTPBadRequest(message)
        return handler(request)

    return input_guard


def includeme(config):
    config.add_tween("poser_web.web.input_guard.input_guard_tween_factory", under=EXCVIEW)
