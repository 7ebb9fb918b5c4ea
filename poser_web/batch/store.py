"""Where the files batches are made from are kept: a directory (setting `poser.batch_dir`;
by default `batch-files` beside a SQLite database, or in the working directory)."""
import os
import shutil
from pathlib import Path

from sqlalchemy.engine import make_url

DEFAULT_MAX_UPLOAD_MB = 200
COPY_CHUNK = 1 << 20


class TooLarge(Exception):
    """The file is over the size limit."""


def store_directory(settings):
    configured = (settings.get("poser.batch_dir") or "").strip()
    if configured:
        return Path(configured)
    url = make_url(settings["sqlalchemy.url"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "batch-files"
    return Path.cwd() / "batch-files"


def max_upload_bytes(settings):
    return int(float(settings.get("poser.batch_max_upload_mb") or DEFAULT_MAX_UPLOAD_MB)
               * 1024 * 1024)


class FileStore:
    def __init__(self, directory):
        self.directory = Path(directory)

    @classmethod
    def from_settings(cls, settings):
        return cls(store_directory(settings))

    def path(self, name):
        return self.directory / Path(name).name  # never outside the store

    def save(self, stream, name, limit=None):
        """Copy a binary stream into the store as `name`; its size. Over `limit`: TooLarge,
        nothing kept."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target, size = self.path(name), 0
        try:
            with open(target, "wb") as out:
                for chunk in iter(lambda: stream.read(COPY_CHUNK), b""):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise TooLarge(size)
                    out.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return size

    def copy_in(self, path, name):
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, self.path(name))
        return os.path.getsize(self.path(name))

    def delete(self, name):
        if name:
            self.path(name).unlink(missing_ok=True)
