"""Who the user is, what they may do, and the protections every response carries.

- Sessions: server-side (sessions.py); the cookie is an opaque random token,
  HttpOnly, SameSite=Lax, Secure over HTTPS or when `poser.secure_cookies = true`.
- CSRF: a token is required on every unsafe method (checked before any view runs).
- Identity: the session row names the user; the row is deleted on logout,
  deactivation and password change, so those end the session everywhere.
- Permissions: per action (`widgets.edit`), granted through roles; every view
  needs at least a logged-in user unless it says otherwise.
- Hosts: links and redirects never come from an untrusted Host header (hosts.py).
"""
from pyramid.events import NewResponse
from pyramid.security import Allowed, Denied

from .permissions import AUTHENTICATED
from .sessions import end_expired_sessions

DEVELOPMENT_SECRET = "development-only-secret"
MIN_SECRET_LENGTH = 32

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # Bootstrap draws checkboxes and selects with data: SVGs
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class ConfigurationError(ValueError):
    """A setting the app cannot run without; the message names it."""


def check_secret(settings):
    secret = settings.get("poser.secret") or ""
    development = settings.get("poser.development", "false").lower() == "true"
    if not secret:
        raise ConfigurationError(
            "poser.secret is not set: set POSER_SECRET in the environment (or poser.secret in "
            "the ini file) to a long random string, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
    if not development and (secret == DEVELOPMENT_SECRET or len(secret) < MIN_SECRET_LENGTH):
        raise ConfigurationError(
            f"poser.secret is the development default or shorter than {MIN_SECRET_LENGTH} "
            "characters: set POSER_SECRET to a long random string before serving production.")
    return secret


class Identity:
    """The logged-in user and the permissions their roles grant."""

    def __init__(self, uuid, username, all_permissions, permissions):
        self.uuid = uuid
        self.username = username
        self.all_permissions = all_permissions
        self.permissions = frozenset(permissions)

    def has(self, permission):
        return self.all_permissions or permission in self.permissions

    def __str__(self):
        return self.username


def load_identity(session):
    """The Identity of a server-side session (read with it, in one statement); None if anonymous."""
    return identity_of_rows(session.identity_rows)


def identity_of_rows(rows):
    """An Identity from rows of user_uuid, username, grants_all, permission (None for none)."""
    if not rows:
        return None
    return Identity(
        rows[0].user_uuid, rows[0].username,
        all_permissions=any(r.grants_all for r in rows),
        permissions=[r.permission for r in rows if r.permission],
    )


class SecurityPolicy:
    def identity(self, request):
        # Pyramid asks for every permission check: load once per request.
        if "poser.identity" not in request.environ:
            request.environ["poser.identity"] = load_identity(request.session)
        return request.environ["poser.identity"] or None

    def authenticated_userid(self, request):
        identity = request.identity
        return identity.uuid if identity else None

    def permits(self, request, context, permission):
        identity = request.identity
        if identity is None:
            return Denied("Not logged in.")
        # The message is formatted only when read (a page asks a dozen times, reads none).
        if permission == AUTHENTICATED or identity.has(permission):
            return Allowed("%s has %s.", identity, permission)
        return Denied("%s lacks %s.", identity, permission)

    def remember(self, request, user, **kw):
        # A new session on login: no fixation, and a fresh CSRF token.
        request.environ.pop("poser.identity", None)
        request.session.start(user.uuid)
        end_expired_sessions(request.dbsession, request.registry["poser.sessions"])
        return []

    def forget(self, request, **kw):
        request.environ.pop("poser.identity", None)
        request.session.invalidate()
        return []


def hsts_header(settings):
    """Strict-Transport-Security when configured: `poser.hsts_max_age` seconds, by default a
    year when `poser.secure_cookies = true` (the site is HTTPS only), else none."""
    secure = str(settings.get("poser.secure_cookies", "false")).lower() == "true"
    max_age = int(settings.get("poser.hsts_max_age") or (31536000 if secure else 0))
    return f"max-age={max_age}" if max_age > 0 else None


def add_security_headers(event):
    """Each header unless the response has one of that name (as headers.setdefault, which
    scanned the whole header list, lowercasing every name, once per header: seven times)."""
    headerlist = event.response.headerlist
    present = {name.lower() for name, _ in headerlist}
    for lower, name, value in _SECURITY_HEADERS:
        if lower not in present:
            headerlist.append((name, value))
    hsts = event.request.registry.get("poser.hsts")
    if hsts and "strict-transport-security" not in present:
        headerlist.append(("Strict-Transport-Security", hsts))
    # The raw path: a request refused for an undecodable path still gets its headers.
    if ("cache-control" not in present
            and not event.request.environ.get("PATH_INFO", "").startswith(("/static/", "/deform-static/"))):
        headerlist.append(("Cache-Control", "no-store"))  # pages may show private data


_SECURITY_HEADERS = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS.items())


def includeme(config):
    settings = config.get_settings()
    check_secret(settings)  # still required: production must not run on a guessable default
    config.registry["poser.hsts"] = hsts_header(settings)
    config.include(".sessions")
    config.include("..web.hosts")
    config.include("..web.input_guard")
    config.include(".tokens")  # Authorization: Bearer <token> (the JSON API)
    # Pyramid checks the token (POST field csrf_token or X-CSRF-Token header)
    # before any view runs, so a refused form saves nothing.
    config.set_default_csrf_options(require_csrf=True)
    config.set_security_policy(SecurityPolicy())
    config.set_default_permission(AUTHENTICATED)
    config.add_subscriber(add_security_headers, NewResponse)
