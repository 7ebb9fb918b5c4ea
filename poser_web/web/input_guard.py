"""One guard for every route: text the app cannot take is refused with 400 before any view runs.

A path, query string or form field that is not valid UTF-8, or holds a NUL
character (which PostgreSQL refuses in text, deep inside a query), would
otherwise surface as a 500 wherever it is first used. Uploaded files are left
alone: they are bytes, not text.
"""
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.tweens import EXCVIEW

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def problem(request):
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
        try:
            fields += [(k, v) for k, v in request.POST.items() if isinstance(v, str)]
        except (UnicodeDecodeError, ValueError):
            return "The form's data is not valid UTF-8."
    for name, value in fields:
        if "\x00" in name or "\x00" in value:
            return f"The field {name.replace(chr(0), '')!r} contains a NUL character."
    return None


def input_guard_tween_factory(handler, registry):
    def input_guard(request):
        message = problem(request)
        if message:
            if request.method not in ("GET", "HEAD"):
                message += " The form was not saved."
            raise HTTPBadRequest(message)  # under the exception view: a styled 400 page
        return handler(request)

    return input_guard


def includeme(config):
    config.add_tween("poser_web.web.input_guard.input_guard_tween_factory", under=EXCVIEW)
