"""URLs that stay the same while the app runs, made once per site and kept (web/kept.py):
static files' URLs and the URLs of routes that name no record (a list, its export, the home
page).

Every page links four static files (a form page three more) and a list page a dozen such
routes; request.static_url and request.route_url are Pyramid's route generation each time.
The site's URL (scheme, host, script name) is in each key. Their query strings repeat too
(sort keys, directions, page numbers): `query_string` keeps each quoted word.
"""
from functools import lru_cache

from pyramid.encode import quote_plus, urlencode

from .kept import kept, site_url

STATIC_KEY = "poser.static_urls"
ROUTES_KEY = "poser.route_urls"


def static_url(request, spec):
    """request.static_url(spec), kept per site and spec."""
    return kept(request, STATIC_KEY, (site_url(request), spec), lambda: request.static_url(spec))


def route_url(request, name, **parts):
    """request.route_url(name, **parts) without a query, kept per site, route and parts."""
    key = (site_url(request), name, *sorted(parts.items()))
    return kept(request, ROUTES_KEY, key, lambda: request.route_url(name, **parts))


@lru_cache(maxsize=4096)
def _kept_quote(value):
    return quote_plus(value)


def _quote(value):
    try:
        return _kept_quote(value)
    except TypeError:  # unhashable: quoted each time
        return quote_plus(value)


def query_string(query):
    """Pyramid's urlencode(query) (a list value repeats its key), each key and value quoted once
    per process: a list page quotes about forty, most of them the same on every page."""
    return urlencode(query, quote_via=_quote)
