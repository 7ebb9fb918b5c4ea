"""Where uploaded files are kept, and the upload size limit, as README's Batches section
documents them: `poser.batch_dir`, else `batch-files/` beside a SQLite database, else in the
working directory; `poser.batch_max_upload_mb` (default 200) (batch/store.py)."""
import io
from pathlib import Path

import pytest

from poser_web.batch.store import FileStore, TooLarge, max_upload_bytes, store_directory

MB = 1024 * 1024


@pytest.mark.parametrize("settings, expected", [
    ({"poser.batch_dir": "/srv/poser/files", "sqlalchemy.url": "sqlite:////data/poser.sqlite"},
     Path("/srv/poser/files")),
    ({"poser.batch_dir": "  ", "sqlalchemy.url": "sqlite:////data/poser.sqlite"},
     Path("/data/batch-files")),
    ({"sqlalchemy.url": "sqlite:////data/poser.sqlite"}, Path("/data/batch-files")),
    ({"sqlalchemy.url": "postgresql+psycopg://u@db/poser"}, Path.cwd() / "batch-files"),
    ({"sqlalchemy.url": "sqlite://"}, Path.cwd() / "batch-files"),
    ({"sqlalchemy.url": "sqlite:///:memory:"}, Path.cwd() / "batch-files"),
])
def test_where_files_are_kept(settings, expected):
    assert store_directory(settings) == expected


def test_the_upload_limit_is_200_mb_unless_set():
    assert max_upload_bytes({}) == 200 * MB
    assert max_upload_bytes({"poser.batch_max_upload_mb": "1.5"}) == int(1.5 * MB)


def test_a_file_of_exactly_the_limit_is_kept_one_byte_more_is_not(tmp_path):
    store = FileStore(tmp_path / "not" / "yet")   # made, parents too, at the first save
    assert store.save(io.BytesIO(b"x" * 3000), "exact.csv", limit=3000) == 3000
    assert store.path("exact.csv").read_bytes() == b"x" * 3000
    with pytest.raises(TooLarge):
        store.save(io.BytesIO(b"x" * 3001), "over.csv", limit=3000)
    assert not store.path("over.csv").exists()   # nothing kept
    assert store.save(io.BytesIO(b""), "empty.csv") == 0


def test_files_are_copied_in_and_kept_apart_from_the_directory_above(tmp_path):
    source = tmp_path / "drop.csv"
    source.write_bytes(b"type,uuid\n")
    store = FileStore(tmp_path / "store" / "batch-files")
    assert store.copy_in(source, "first.csv") == 10
    assert store.copy_in(source, "second.csv") == 10   # the directory is there already
    assert store.path("../../escape.csv") == store.directory / "escape.csv"
    store.delete("first.csv")
    store.delete("first.csv")   # already gone: nothing to do
    assert sorted(p.name for p in store.directory.iterdir()) == ["second.csv"]


def test_an_upload_is_copied_a_megabyte_at_a_time_at_most(tmp_path):
    """A 200 MB upload never sits in memory whole: it is read in pieces of 1 MB at most."""
    asked = []

    class Upload(io.BytesIO):
        def read(self, size=-1):
            asked.append(size)
            return super().read(size)

    assert FileStore(tmp_path).save(Upload(b"x" * (3 * MB + 5)), "big.csv") == 3 * MB + 5
    assert asked and all(0 < size <= MB for size in asked), asked
