"""Static files' URLs for the templates, made once per site and file and kept.

Every page links four static files and a form page three more; request.static_url is
Pyramid's route generation each time, for URLs that stay the same while the app runs (the
site's URL, scheme and host included in the key).
"""
REGISTRY_KEY = "poser.static_urls"


def url(request, spec):
    """request.static_url(spec), kept per app, site URL and spec."""
    cache = request.registry.get(REGISTRY_KEY)
    if cache is None:
        cache = request.registry.setdefault(REGISTRY_KEY, {})
    key = (request.application_url, spec)
    found = cache.get(key)
    if found is None:
        found = cache[key] = request.static_url(spec)
    return found
