"""Waiting for a condition instead of sleeping a guessed while: polls until it holds, and
fails with `what` once `seconds` have passed (so a slow machine waits longer, never fails
sooner, and a fast one does not wait at all)."""
import time


def wait_until(condition, what, seconds=30.0, every=0.02):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(every)
