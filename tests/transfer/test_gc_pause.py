"""Bulk writers collect garbage less often while they run, and leave the process's
thresholds as they found them (transfer/gc_pause.py)."""
import gc

import pytest

from poser_web.transfer.gc_pause import THRESHOLD, fewer_collections


def test_thresholds_are_raised_inside_and_restored_after():
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == max(THRESHOLD, before[0])
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_threshold() == before


def test_thresholds_are_restored_after_an_error():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a failed import")
    assert gc.get_threshold() == before
