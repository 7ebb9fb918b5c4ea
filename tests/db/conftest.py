"""Fixtures of the bulk-load tests (search, load deferral, indexes, foreign keys): a database
the imports commit to, emptied for each test, and a small threshold for "big"."""
import pytest

from poser_web.db import load_deferral
from tests.datasync_support import reset


@pytest.fixture(scope="module")
def own_engine(scratch_databases):
    """A database of the run's kind that the imports commit to."""
    from tests.databases import new_migrated_engine

    with new_migrated_engine(scratch_databases) as engine:
        yield engine


@pytest.fixture
def fresh(own_engine):
    reset(own_engine)
    return own_engine


@pytest.fixture
def small_threshold(monkeypatch):
    """Big means a few hundred rows here, so the tests stay quick."""
    monkeypatch.setattr(load_deferral, "REBUILD_MIN_ROWS", 50)
