"""Static files under versioned URLs, cached for a year, served gzipped.

`request.static_url('deform:static/css/bootstrap.min.css')` (templates use
nothing else) gives `/deform-static/<digest>/css/bootstrap.min.css`, where
<digest> is taken from the file's content: a changed file gets a new URL, so
every versioned URL can be cached `public, max-age=31536000, immutable` and a
repeat visit asks for no static file at all.

Each file is read and gzipped (level 9) once, the first time it is asked for,
and kept in memory: a request never compresses. Clients that accept gzip get
the gzipped bytes (`Content-Encoding: gzip`, `Vary: Accept-Encoding`); an
If-None-Match with the digest answers 304. An unversioned URL
(`/static/poser.css`) is still served, by Pyramid's static view, cached for an
hour; a versioned URL whose digest is outdated (a page from before a deploy)
gets the current file, cached for an hour only.
"""
import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from pyramid.httpexceptions import HTTPNotFound
from pyramid.path import AssetResolver
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from .compression import accepts_gzip

YEAR = 31_536_000
IMMUTABLE = f"public, max-age={YEAR}, immutable"
SHORT = "public, max-age=3600"
DIGEST_LENGTH = 16
# Worth compressing: text. (Fonts and images are compressed already.)
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".html", ".map", ".ttf", ".eot"}

# URL name -> package directory served under it.
DIRECTORIES = {
    "static": "poser_web:static",
    "deform-static": "deform:static",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    digest: str


class AssetStore:
    """The files of one package directory, each read and compressed once."""

    def __init__(self, spec):
        self.root = Path(AssetResolver().resolve(spec).abspath()).resolve()
        self._assets = {}
        self._lock = threading.Lock()

    def get(self, subpath):
        """The Asset at `subpath` (a relative path with / separators), or None."""
        asset = self._assets.get(subpath)
        if asset is None:
            with self._lock:
                asset = self._assets.get(subpath) or self._load(subpath)
        return asset

    def _load(self, subpath):
        path = (self.root / subpath).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        body = path.read_bytes()
        gzipped = None
        if path.suffix in COMPRESSIBLE:
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
            if len(gzipped) >= len(body):
                gzipped = None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        asset = Asset(body, gzipped, content_type, hashlib.sha256(body).hexdigest()[:DIGEST_LENGTH])
        self._assets[subpath] = asset
        return asset


class ContentDigestBuster:
    """Pyramid cache buster: the file's content digest as the URL's first segment."""

    def __init__(self, store):
        self.store = store

    def __call__(self, request, subpath, kw):
        asset = self.store.get(subpath)
        if asset is None:
            return subpath, kw  # a missing file: its plain URL (which answers 404)
        return f"{asset.digest}/{subpath}", kw


def asset_view(store):
    def view(request):
        subpath = "/".join(request.matchdict["subpath"])
        asset = store.get(subpath) if ".." not in request.matchdict["subpath"] else None
        if asset is None:
            raise HTTPNotFound()
        response = Response()
        current = asset.digest == request.matchdict["digest"]
        response.headers["Cache-Control"] = IMMUTABLE if current else SHORT
        response.etag = asset.digest
        response.vary = ("Accept-Encoding",) if asset.gzipped else None
        if asset.digest in request.if_none_match:
            response.status = 304
            del response.headers["Content-Type"]
            return response
        response.headers["Content-Type"] = asset.content_type
        if asset.gzipped and accepts_gzip(request):
            response.body = asset.gzipped
            response.content_encoding = "gzip"
        else:
            response.body = asset.body
        return response

    return view


def includeme(config):
    """Routes and views for each directory: versioned first, then Pyramid's plain static view."""
    for name, spec in DIRECTORIES.items():
        store = AssetStore(spec)
        route = f"assets.{name}"
        config.add_route(route, f"/{name}/{{digest:[0-9a-f]{{{DIGEST_LENGTH}}}}}/*subpath")
        config.add_view(asset_view(store), route_name=route, request_method=("GET", "HEAD"),
                        permission=NO_PERMISSION_REQUIRED)
        config.add_static_view(name, spec, cache_max_age=3600, permission=NO_PERMISSION_REQUIRED)
        config.add_cache_buster(spec + "/", ContentDigestBuster(store))
