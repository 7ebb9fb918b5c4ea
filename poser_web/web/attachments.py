"""Content-Disposition for a download under the name it was uploaded with, whatever its
characters: an ASCII `filename` for old clients and the exact name as RFC 5987's `filename*`
(a header value holds Latin-1 at most; `中文.csv` there is an error, not a header)."""
from urllib.parse import quote


def attachment(name):
    """The header value offering `name` to save."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
