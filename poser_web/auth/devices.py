"""Browsers a user has logged in from before, known by a device cookie (OWASP's "device
cookies" against online guessing).

After a successful login the browser gets `poser_device`: a random nonce and its HMAC,
under the app's secret, with the username. A later login for that username presenting it
comes from a *trusted* browser: its failures are counted for that browser alone and the
per-address limit does not apply to it (throttle.py). So someone guessing from the same
address as a colleague — the same office, the same proxy — never locks the colleague out of
the browser they use; only browsers nobody has logged in from share the address's limit.
The cookie opens nothing: it is not a session and holds no secret of the user's.
"""
import hashlib
import hmac
import re
import secrets

COOKIE_NAME = "poser_device"
MAX_AGE = 365 * 86400  # a browser someone logged in from within the year
_VALUE = re.compile(r"^([A-Za-z0-9_-]{22})\.([0-9a-f]{32})$")


def _mac(key, username, nonce):
    message = f"device:{username.lower()}:{nonce}".encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _key(request):
    return request.registry["poser.sessions"].key


def trusted_client(request, username):
    """`device:<nonce>` when the request's device cookie was issued to `username`, else None."""
    match = _VALUE.match(request.cookies.get(COOKIE_NAME, ""))
    if match is None or not username:
        return None
    nonce, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(_key(request), username, nonce)):
        return None
    return f"device:{nonce}"


def remember_device(request, response, username):
    """Mark the browser as one `username` logged in from (kept if it is already)."""
    if trusted_client(request, username):
        return
    nonce = secrets.token_urlsafe(16)
    secure = request.scheme == "https" or request.registry["poser.sessions"].secure_cookies
    response.set_cookie(COOKIE_NAME, f"{nonce}.{_mac(_key(request), username, nonce)}",
                        max_age=MAX_AGE, path="/", httponly=True, samesite="Lax", secure=secure)
