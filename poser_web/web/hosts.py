"""Links and redirects never come from an untrusted Host header.

- `poser.base_url` (env POSER_BASE_URL), e.g. `https://admin.example.com`: every
  link and redirect is built from it, whatever Host the request names.
- `poser.allowed_hosts`: host names (no port) requests may name; `*` allows
  any, `.example.com` a domain and its subdomains; the base URL's host is
  allowed too. The loopback names (localhost, 127.0.0.1, ::1) always are: a
  health check on the machine itself (`curl http://127.0.0.1:6543/healthz`)
  must work, and they are all development serves.
- Outside development (`poser.development = true`) the app refuses to start
  with neither setting: a production site names where it is served.

The Host header is parsed strictly (a name or an IP address, then an optional
port): `127.0.0.1:1@evil.example` or `[::1]evil` is refused with 400 before
anything else runs, never echoed into a redirect.
"""
import ipaddress
import re
from urllib.parse import urlsplit

from pyramid.response import Response
from pyramid.tweens import INGRESS

from ..auth.security import ConfigurationError

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_NAME = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?")
_PORT = re.compile(r"[0-9]{1,5}")


def parse_host(value):
    """The host name (lowercased, IPv6 without brackets) of a Host header, or None when the
    header is not exactly `name[:port]`, `IPv4[:port]` or `[IPv6][:port]`."""
    value = (value or "").strip().lower()
    if value.startswith("["):
        address, bracket, port = value[1:].partition("]")
        if not bracket or (port and not (port[0] == ":" and _PORT.fullmatch(port[1:]))):
            return None
        try:
            return str(ipaddress.IPv6Address(address)) if "%" not in address else None
        except ValueError:
            return None
    name, colon, port = value.partition(":")
    if (colon and not _PORT.fullmatch(port)) or len(name) > 253 or not _NAME.fullmatch(name):
        return None
    return name.rstrip(".")


class HostSettings:
    def __init__(self, settings):
        base_url = (settings.get("poser.base_url") or "").strip().rstrip("/")
        configured = (settings.get("poser.allowed_hosts") or "").lower().split()
        development = str(settings.get("poser.development", "false")).lower() == "true"
        self.base = None
        if base_url:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigurationError(f"poser.base_url must be like https://host[:port][/path], "
                                         f"not {base_url!r}")
            self.base = (parts.scheme, parts.netloc, parts.path)
            configured.append(parts.hostname.lower())
        if not configured and not development:
            raise ConfigurationError(
                "Neither poser.base_url nor poser.allowed_hosts is set: set POSER_BASE_URL in the "
                "environment (e.g. https://admin.example.com) or poser.allowed_hosts in the ini "
                "file, so links and redirects name this site and no other.")
        self.allowed = tuple(configured) + LOCAL_HOSTS

    def allows(self, host):
        if host is None:
            return False
        for pattern in self.allowed:
            if pattern == "*" or host == pattern:
                return True
            if pattern.startswith(".") and (host == pattern[1:] or host.endswith(pattern)):
                return True
        return False


def host_name(environ):
    """The request's host name (Host header, else SERVER_NAME), or None when malformed."""
    return parse_host(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))


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
