"""gzip for the pages: a tween compressing text responses the client accepts gzipped.

Pages are ~40 KB of HTML that gzip to ~6 KB. Static files are not compressed
here (assets.py serves them gzipped once and for all), nor are streamed
responses (exports: their app_iter is never buffered), small bodies, or
anything already encoded.

BREACH: a compressed page holding a secret (the CSRF token) beside text the
requester chose (the search box) can leak the secret through its size. As
Django's GZipMiddleware does ("Heal the Breach", Paulsen et al.), the gzip
header carries a file name of random length, so sizes vary by up to 100 bytes
per response; the session cookie is also SameSite=Lax, so another site's
requests carry no session to compress against.
"""
import secrets
import struct

from isal import isal_zlib
from pyramid.httpexceptions import HTTPRedirection

COMPRESSIBLE = ("text/html", "text/plain", "text/css", "application/json", "application/javascript")
MINIMUM = 512  # bytes: below this the header costs about what compression saves
# The deflate: ISA-L's (python-isal, Intel's compression library for x86-64 and ARM): on the
# 54 KB list page its level 1 takes a third of zlib's level 1 CPU and makes a smaller page
# (bench/gzip_levels.py; callgrind: 0.41 M instructions against 1.28 M, 6.1 KB against 6.4;
# the edit page 0.24 M against 0.68 M). Same deflate format: every gzip reader reads it.
LIBRARY = isal_zlib
# ISA-L's levels are 0-3; 1 chosen by bench/gzip_levels.py (level 0 is barely cheaper and
# a fifth bigger).
LEVEL = 1
MAX_RANDOM_BYTES = 100


def compress(body):
    """gzip of `body` with a random-length file name in its header (see the module doc).

    The gzip member is put together here (RFC 1952: header, raw deflate, CRC-32, length):
    three deflate calls, where GzipFile's Python layers cost more than the deflate itself.
    """
    # One call for the random bytes, not one per character (token_urlsafe(75): 100 characters).
    name = secrets.token_urlsafe(MAX_RANDOM_BYTES * 3 // 4)[:secrets.randbelow(MAX_RANDOM_BYTES + 1)]
    deflate = LIBRARY.compressobj(LEVEL, LIBRARY.DEFLATED, -LIBRARY.MAX_WBITS)
    # ID1 ID2, deflate, FNAME flag, mtime 0, "fastest" (a low level), OS unknown; then the name.
    header = b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x04\xff" + name.encode("latin-1") + b"\x00"
    trailer = struct.pack("<II", LIBRARY.crc32(body), len(body) & 0xFFFFFFFF)
    return b"".join((header, deflate.compress(body), deflate.flush(), trailer))


def accepts_gzip(request):
    """Whether the request says it takes gzip (no Accept-Encoding header: it does not)."""
    header = request.environ.get("HTTP_ACCEPT_ENCODING")
    if header is None:
        return False
    if ";" not in header:  # no q-values (what browsers send): the names are enough
        return any(name.strip().lower() in ("gzip", "*") for name in header.split(","))
    return bool(request.accept_encoding.acceptable_offers(["gzip"]))


def wants(request, response):
    if response.content_encoding or response.content_type not in COMPRESSIBLE:
        return False
    if not isinstance(response.app_iter, (list, tuple)) or request.method == "HEAD":
        return False  # streamed: left alone
    if response.content_length is not None and response.content_length < MINIMUM:
        return False
    return accepts_gzip(request)


def compression_tween_factory(handler, registry):
    def compression_tween(request):
        response = handler(request)
        if isinstance(response, HTTPRedirection) and not response.has_body:
            # No body: Pyramid would write an HTML note for it, escaping every value of the
            # WSGI environ and the headers (a twentieth of a save's CPU); browsers follow the
            # Location and never show it. Django's redirects have none either.
            response.empty_body = True
        if response.content_type in COMPRESSIBLE:
            response.vary = tuple(sorted(set(response.vary or ()) | {"Accept-Encoding"}))
        if wants(request, response):
            body = response.body
            if len(body) >= MINIMUM:
                response.body = compress(body)
                response.content_encoding = "gzip"
        return response

    return compression_tween


def includeme(config):
    config.add_tween("poser_web.web.compression.compression_tween_factory")
