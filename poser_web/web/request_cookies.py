"""A request's cookie by name, for the ones every request reads (session, flash, CSRF).

`request.cookies` is WebOb's parse of the whole Cookie header: a regex match per cookie, each
name and value unquoted, checked and decoded (a fiftieth of a small page's CPU). A browser
sends our cookies back as we set them, plain `name=value` pairs of token characters; such a
header is split here and gives exactly what WebOb's parse gives. Anything else in it (quotes,
escapes, spaces around `=`, other sites' odd values) goes to WebOb as before.
"""
import re

# Only name=value pairs of letters, digits, "_", "." and "-", separated by ";" (and spaces).
_PLAIN = re.compile(r"[\w.-]+=[\w.-]*(?:;[ \t]*[\w.-]+=[\w.-]*)*;?", re.ASCII)
_KEY = "poser.cookies"  # environ: (header, {name: value}) as parsed last


def request_cookie(request, name, default=None):
    """request.cookies.get(name, default), without WebOb's parse for a plain Cookie header."""
    environ = request.environ
    header = environ.get("HTTP_COOKIE", "")
    parsed = environ.get(_KEY)
    if parsed is None or parsed[0] is not header:
        if _PLAIN.fullmatch(header):
            values = {}
            for part in header.split(";"):
                key, _, value = part.strip().partition("=")
                if key:
                    values[key] = value
        elif header:
            values = request.cookies
        else:
            values = {}
        parsed = environ[_KEY] = (header, values)
    return parsed[1].get(name, default)
