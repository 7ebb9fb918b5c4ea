"""API tokens: made for a user, shown once, kept as their SHA-256, sent as
`Authorization: Bearer <token>`; a request carrying one acts as that user with that user's
permissions, without a session (no cookie, no CSRF token).

A wrong token is counted as a failed login of the client address (throttle.py), so tokens
cannot be guessed faster than passwords; a token of an inactive user opens nothing.
"""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from ..models import ApiToken, Role, RolePermission, User, user_roles, utcnow
from . import throttle

PREFIX = "poser_"
# Throttle bookkeeping names the failures of wrong tokens with this "username".
THROTTLE_NAME = "(api token)"
# last_used_at is written at most this often per token: a busy script costs no write per call.
USE_RESOLUTION = timedelta(hours=1)


def digest(token):
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def issue(session, user, name, created_by=None):
    """A new token for `user`: (the token, shown once; its ApiToken row)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_uuid=user.uuid, name=name.strip()[:100] or "API token",
                   token_hash=digest(token), prefix=token[:len(PREFIX) + 6],
                   created_by=created_by)
    session.add(row)
    session.flush()
    return token, row


def revoke(session, token_uuid):
    """Delete one token; whether there was one."""
    return session.execute(delete(ApiToken).where(ApiToken.uuid == token_uuid)).rowcount > 0


def tokens_of(session, user_uuid):
    return session.scalars(select(ApiToken).where(ApiToken.user_uuid == user_uuid)
                           .order_by(ApiToken.created_at.desc(), ApiToken.uuid)).all()


def bearer_token(request):
    """The token of an `Authorization: Bearer …` header, "" for a malformed one, None without."""
    header = request.environ.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token if 0 < len(token) <= 200 and token.isascii() and token.isprintable() else ""


class TokenRefused(Exception):
    """A wrong token, or too many wrong ones from this client: `retry_after` seconds."""

    def __init__(self, message, retry_after=0):
        super().__init__(message)
        self.retry_after = retry_after


def identity_rows(session, token):
    """The token's user, their roles' grants and permissions: one statement."""
    return session.execute(
        select(ApiToken.uuid.label("token_uuid"), ApiToken.last_used_at, User.uuid.label("user_uuid"),
               User.username, Role.grants_all, RolePermission.permission)
        .join(User, User.uuid == ApiToken.user_uuid)
        .outerjoin(user_roles, user_roles.c.user_uuid == User.uuid)
        .outerjoin(Role, Role.uuid == user_roles.c.role_uuid)
        .outerjoin(RolePermission, RolePermission.role_uuid == Role.uuid)
        .where(ApiToken.token_hash == digest(token), User.active.is_(True))).all()


def authenticate(request, session, token):
    """The rows of the user `token` acts as; TokenRefused when it opens nothing."""
    client = request.client_addr or "unknown"
    wait = throttle.locked_for(session, THROTTLE_NAME, client)
    if wait:
        raise TokenRefused("Too many wrong API tokens from this address; wait and retry.", wait)
    rows = identity_rows(session, token) if token else []
    if not rows:
        throttle.lock(session, client)
        throttle.record_failure(session, THROTTLE_NAME, client)
        raise TokenRefused("This API token is not valid (revoked, mistyped, or its user is "
                           "inactive).")
    now = utcnow()
    if rows[0].last_used_at is None or now - rows[0].last_used_at > USE_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.uuid == rows[0].token_uuid)
                        .values(last_used_at=now))
    return rows


def token_tween_factory(handler, registry):
    """A request with `Authorization: Bearer <token>` acts as the token's user (no session);
    a wrong token is answered here, 401 (or 429 after too many), its failure kept: the
    response is returned, not raised, so the transaction that counts it commits."""
    from pyramid.response import Response

    from .security import identity_of_rows

    def token_tween(request):
        token = bearer_token(request)
        if token is None:
            return handler(request)
        try:
            rows = authenticate(request, request.dbsession, token)
        except TokenRefused as refused:
            response = Response(json_body={"error": str(refused)}, status=429 if refused.retry_after
                                else 401, charset="utf-8")
            if refused.retry_after:
                response.headers["Retry-After"] = str(refused.retry_after)
            else:
                response.headers["WWW-Authenticate"] = 'Bearer realm="poser", error="invalid_token"'
            return response
        request.environ["poser.identity"] = identity_of_rows(rows)
        request.environ["poser.via_token"] = True
        return handler(request)

    return token_tween


def includeme(config):
    config.add_tween("poser_web.auth.tokens.token_tween_factory",
                     under="poser_web.web.input_guard.input_guard_tween_factory")
