"""Values kept on the app's registry between requests, bounded.

What a page builds the same way for every request of a kind (the navbar per permissions and
page, a static file's URL) is kept here. Keys include the site's URL, which comes from the
request's Host header, so a store is bounded: full, it starts over rather than grow with
whatever hosts clients send (development.ini names no allowed hosts).
"""
import threading

_guard = threading.Lock()


def site_url(request):
    """request.application_url (the site's scheme, host and script name: part of every kept
    key), worked out once a request: webob rebuilds it from the environ each time asked."""
    found = request.__dict__.get("_poser_site_url")
    if found is None:
        found = request.__dict__["_poser_site_url"] = request.application_url
    return found


def kept(request, store, key, make, size=512):
    """The value kept under `key` in the registry's `store`, made by `make()` when missing."""
    values = request.registry.get(store)
    if values is None:
        with _guard:
            values = request.registry.setdefault(store, {})
    value = values.get(key)
    if value is None:
        value = make()
        with _guard:
            if len(values) >= size:
                values.clear()
            values[key] = value
    return value
