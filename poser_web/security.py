"""Who the user is, what they may do, and the protections every response carries.

- Sessions: signed cookie, HttpOnly, SameSite=Lax, Secure when served over HTTPS.
- CSRF: a token is required on every unsafe method (checked before any view runs).
- Identity: the session holds the user's uuid and a fingerprint of their
  password hash, so a password change ends every other session.
- Permissions: per action (`widgets.edit`), granted through roles; every view
  needs at least a logged-in user unless it says otherwise.
"""
from pyramid.security import Allowed, Denied
from pyramid.events import NewResponse
from pyramid.session import SignedCookieSessionFactory
from sqlalchemy import select

from .models import Role, RolePermission, User, user_roles
from .permissions import AUTHENTICATED

DEVELOPMENT_SECRET = "development-only-secret"
MIN_SECRET_LENGTH = 32

SESSION_USER = "auth.user"
SESSION_FINGERPRINT = "auth.fingerprint"

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


def session_factory(secret):
    """Cookies are marked Secure whenever the request came over HTTPS."""
    options = dict(cookie_name="poser_session", httponly=True, samesite="Lax",
                   timeout=12 * 3600, reissue_time=600)
    plain = SignedCookieSessionFactory(secret, secure=False, **options)
    secure = SignedCookieSessionFactory(secret, secure=True, **options)

    def factory(request):
        return (secure if request.scheme == "https" else plain)(request)

    return factory


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


def load_identity(session, user_uuid, fingerprint):
    """The Identity for a session, in one statement; None if it is no longer valid."""
    rows = session.execute(
        select(User.uuid, User.username, User.password_hash, Role.grants_all,
               RolePermission.permission)
        .outerjoin(user_roles, user_roles.c.user_uuid == User.uuid)
        .outerjoin(Role, Role.uuid == user_roles.c.role_uuid)
        .outerjoin(RolePermission, RolePermission.role_uuid == Role.uuid)
        .where(User.uuid == user_uuid, User.active.is_(True))
    ).all()
    if not rows:
        return None
    user = User(uuid=rows[0].uuid, username=rows[0].username, password_hash=rows[0].password_hash)
    if user.session_fingerprint != fingerprint:
        return None  # the password changed since this session logged in
    return Identity(
        user.uuid, user.username,
        all_permissions=any(r.grants_all for r in rows),
        permissions=[r.permission for r in rows if r.permission],
    )


class SecurityPolicy:
    def identity(self, request):
        # Pyramid asks for every permission check: load once per request.
        if "poser.identity" not in request.environ:
            user_uuid = request.session.get(SESSION_USER)
            request.environ["poser.identity"] = user_uuid and load_identity(
                request.dbsession, user_uuid, request.session.get(SESSION_FINGERPRINT))
        return request.environ["poser.identity"] or None

    def authenticated_userid(self, request):
        identity = request.identity
        return identity.uuid if identity else None

    def permits(self, request, context, permission):
        identity = request.identity
        if identity is None:
            return Denied("Not logged in.")
        if permission == AUTHENTICATED or identity.has(permission):
            return Allowed(f"{identity} has {permission}.")
        return Denied(f"{identity} lacks {permission}.")

    def remember(self, request, user, **kw):
        # A new session on login: no fixation, and a fresh CSRF token.
        request.environ.pop("poser.identity", None)
        request.session.invalidate()
        request.session[SESSION_USER] = user.uuid
        request.session[SESSION_FINGERPRINT] = user.session_fingerprint
        request.session.new_csrf_token()
        return []

    def forget(self, request, **kw):
        request.environ.pop("poser.identity", None)
        request.session.invalidate()
        return []


def add_security_headers(event):
    headers = event.response.headers
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if not event.request.path.startswith(("/static/", "/deform-static/")):
        headers.setdefault("Cache-Control", "no-store")  # pages may show private data


def includeme(config):
    settings = config.get_settings()
    config.set_session_factory(session_factory(check_secret(settings)))
    # Pyramid checks the token (POST field csrf_token or X-CSRF-Token header)
    # before any view runs, so a refused form saves nothing.
    config.set_default_csrf_options(require_csrf=True)
    config.set_security_policy(SecurityPolicy())
    config.set_default_permission(AUTHENTICATED)
    config.add_subscriber(add_security_headers, NewResponse)
