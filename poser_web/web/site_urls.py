"""URLs that stay the same while the app runs, made once per site and kept (web/kept.py):
static files' URLs and the URLs of routes that name no record (a list, its export, the home
page).

Every page links four static files (a form page three more) and a list page a dozen such
routes; request.static_url and request.route_url are Pyramid's route generation each time.
The site's URL (scheme, host, script name) is in each key.
"""
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
