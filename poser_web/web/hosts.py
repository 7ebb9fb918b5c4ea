"""Links and redirects never come from an untrusted Host header.

- `poser.base_url` (env POSER_BASE_URL), e.g. `https://admin.example.com`: every
  link and redirect is built from it, whatever Host the request names.
- `poser.allowed_hosts`: host names (no port) requests may name; `*` allows
  any, `.example.com` a domain and its subdomains. By default the base URL's
  host, or in development (`poser.development = true`) any host, else only
  localhost / 127.0.0.1 / ::1.
A request naming another host is refused with 400 before anything else runs.
"""
from urllib.parse import urlsplit

from pyramid.response import Response
from pyramid.tweens import INGRESS

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class HostSettings:
    def __init__(self, settings):
        base_url = (settings.get("poser.base_url") or "").strip().rstrip("/")
        self.base = None
        allowed = (settings.get("poser.allowed_hosts") or "").lower().split()
        if base_url:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"poser.base_url must be like https://host[:port][/path], "
                                 f"not {base_url!r}")
            self.base = (parts.scheme, parts.netloc, parts.path)
            allowed.append(parts.hostname.lower())
        if not allowed:
            development = str(settings.get("poser.development", "false")).lower() == "true"
            allowed = ["*"] if development else list(LOCAL_HOSTS)
        self.allowed = tuple(allowed)

    def allows(self, host):
        for pattern in self.allowed:
            if pattern == "*" or host == pattern:
                return True
            if pattern.startswith(".") and (host == pattern[1:] or host.endswith(pattern)):
                return True
        return False


def host_name(environ):
    """The Host header's (or SERVER_NAME's) name, without port, lowercased."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:6543
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_tween_factory(handler, registry):
    config = registry["poser.hosts"]

    def host_tween(request):
        environ = request.environ
        if not config.allows(host_name(environ)):
            return Response("Bad request: this site is not served under that host name.\n",
                            status=400, content_type="text/plain", charset="utf-8")
        if config.base is not None:
            scheme, netloc, path = config.base
            environ["wsgi.url_scheme"] = scheme
            environ["HTTP_HOST"] = netloc
            environ["SCRIPT_NAME"] = path
        return handler(request)

    return host_tween


def includeme(config):
    config.registry["poser.hosts"] = HostSettings(config.get_settings())
    config.add_tween("poser_web.web.hosts.host_tween_factory", under=INGRESS)
