"""Waiting for a condition instead of sleeping a guessed while: polls until it holds, and
fails with `what` once `seconds` have passed (so a slow machine waits longer, never fails
sooner, and a fast one does not wait at all)."""
import time


def wait_until(condition, what, seconds=30.0, every=0.02):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(every)


def blocked_in(thread, *function_names):
    """True while `thread` is inside one of `function_names` (anywhere in its stack): when that
    function waits on something (a lock, a database driver's execute), the thread is blocked
    there — a state to wait for instead of sleeping and hoping it got there."""
    import sys

    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name in function_names:
            return True
        frame = frame.f_back
    return False
