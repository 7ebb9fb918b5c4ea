"""Route URLs that name no record (a list, its export, the home page), made once per site and
kept (web/kept.py).

A list page links to a dozen such routes; Pyramid's route_url is route generation and the
request's application URL each time, for URLs that stay the same while the app runs. The
site's URL (scheme, host, script name) is in the key.
"""
from .kept import kept, site_url

REGISTRY_KEY = "poser.route_urls"


def route_url(request, name, **parts):
    """request.route_url(name, **parts) without a query, kept per site, route and parts."""
    key = (site_url(request), name, *sorted(parts.items()))
    return kept(request, REGISTRY_KEY, key, lambda: request.route_url(name, **parts))
