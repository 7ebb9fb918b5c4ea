"""Sessions (flash messages) and CSRF: a token is required on every unsafe method."""
from pyramid.session import SignedCookieSessionFactory


def includeme(config):
    settings = config.get_settings()
    secret = settings.get("poser.secret")
    if not secret:
        raise ValueError("Set poser.secret in the ini file (or POSER_SECRET in the environment).")
    config.set_session_factory(SignedCookieSessionFactory(
        secret,
        cookie_name="poser_session",
        httponly=True,
        samesite="Lax",
        secure=settings.get("poser.secure_cookies", "false").lower() == "true",
    ))
    # Pyramid checks the token (POST field csrf_token or X-CSRF-Token header)
    # before any view runs, so a refused form saves nothing.
    config.set_default_csrf_options(require_csrf=True)
