"""Static files' URLs for the templates, made once per site and file and kept.

Every page links four static files and a form page three more; request.static_url is
Pyramid's route generation each time, for URLs that stay the same while the app runs (the
site's URL, scheme and host included in the key).
"""
from ..web.kept import kept, site_url

REGISTRY_KEY = "poser.static_urls"


def url(request, spec):
    """request.static_url(spec), kept per app, site URL and spec."""
    return kept(request, REGISTRY_KEY, (site_url(request), spec),
                lambda: request.static_url(spec))
