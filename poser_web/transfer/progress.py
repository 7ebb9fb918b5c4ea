"""Progress of long imports and exports, on stderr.

On a terminal: a tqdm bar per phase. Otherwise (logs, cron, CI): a plain line each time a phase
passes another tenth of its total, e.g. ``validated 50,000 / 100,000 rows`` — at most ten lines
per phase, and none for small runs (under `PLAIN_MINIMUM` rows), so logs are never flooded.
"""
import sys
import time

PLAIN_MINIMUM = 10_000


class Progress:
    """Makes one `phase` per step of a run (validating, writing, exporting...)."""

    def __init__(self, stream=None, mode=None, prefix=""):
        self.stream = stream if stream is not None else sys.stderr
        if mode is None:
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if isatty is not None and isatty() else "lines"
        self.mode, self.prefix = mode, prefix

    def phase(self, verb, total, unit="rows"):
        """A phase of `total` units; call `.update_to(done)` and finally `.close()`."""
        if self.mode == "bar":
            return _BarPhase(self.stream, verb, total, unit)
        if self.mode == "lines" and total >= PLAIN_MINIMUM:
            return _LinePhase(self.stream, self.prefix, verb, total, unit)
        return _SilentPhase()


class _SilentPhase:
    def update_to(self, done):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _LinePhase(_SilentPhase):
    def __init__(self, stream, prefix, verb, total, unit):
        self.stream, self.prefix, self.verb, self.total, self.unit = stream, prefix, verb, total, unit
        self.next_tenth, self.done, self.started = 1, 0, time.monotonic()

    def update_to(self, done):
        self.done = done
        tenth = min(10, done * 10 // self.total) if self.total else 10
        if tenth >= self.next_tenth:
            self.next_tenth = tenth + 1
            self._print(done)

    def close(self):
        if self.next_tenth <= 10 and self.done:
            self.next_tenth = 11
            self._print(self.done)

    def _print(self, done):
        elapsed = time.monotonic() - self.started
        print(f"{self.prefix}{self.verb} {done:,} / {self.total:,} {self.unit} ({elapsed:.1f} s)",
              file=self.stream, flush=True)


class _BarPhase(_SilentPhase):
    def __init__(self, stream, verb, total, unit):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=verb, unit=" " + unit, unit_scale=True, file=stream,
                        leave=False, dynamic_ncols=True)

    def update_to(self, done):
        self.bar.update(done - self.bar.n)

    def close(self):
        self.bar.close()
