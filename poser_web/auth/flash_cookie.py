"""Flash messages carried to the next page in a signed cookie, not in the session row.

A save flashes "Saved …" and redirects; the next page shows the message and forgets it. Kept
in the session row, that was a write on each side of the redirect, and the next page, a GET,
became a writing transaction for it alone (on SQLite: the write lock and a sync to disk).
Django's admin carries its messages in a cookie the same way. The cookie holds only the
messages (shown to this browser anyway), HMAC-signed under `poser.secret` with a key of its
own: a forged or altered cookie shows nothing.
"""
import base64
import hmac
import json

COOKIE_NAME = "poser_flash"
# Browsers keep ~4 kB per cookie: larger messages stay in the session row.
MAX_COOKIE_LENGTH = 3500


def _signature(key, payload):
    return hmac.digest(key, b"flash:" + payload.encode("ascii"), "sha256").hex()[:32]


def encode(key, queues):
    """The cookie value for {queue: [message, …]}; None when it would be too long."""
    payload = base64.urlsafe_b64encode(
        json.dumps(queues, separators=(",", ":")).encode("utf-8")).decode("ascii").rstrip("=")
    value = f"{payload}.{_signature(key, payload)}"
    return value if len(value) <= MAX_COOKIE_LENGTH else None


def decode(key, value):
    """{queue: [message, …]} from a cookie value; {} when it is absent, forged or malformed."""
    payload, _, signature = (value or "").partition(".")
    if not payload or not hmac.compare_digest(signature, _signature(key, payload)):
        return {}
    try:
        queues = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return {}
    if not isinstance(queues, dict):
        return {}
    return {str(queue): [str(m) for m in messages] for queue, messages in queues.items()
            if isinstance(messages, list)}
