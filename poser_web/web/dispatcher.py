"""Waitress's task dispatcher, running quick requests on as few threads as they need.

Python threads share one interpreter lock: four worker threads serving four requests at once
hand it to each other at every database call, and each hand-over is a context switch with
cold caches. Served that way a save cycle cost 6.0 ms of CPU against 4.9 ms when one thread
took the requests in turn (bench/cycle.py, BENCHMARKS.md "Issue 20, eleventh round").

So this dispatcher keeps waitress's `threads` (the most requests that run at once) but lets
only `runners` of them run while each is quick: a queued request waits for a runner to finish
(which takes it next, its caches warm) instead of waking a thread of its own. A request that
has run for `patience` seconds is slow (an export, a lock wait, a big search): then a spare
thread takes the next queued request, so a slow page holds the others up for `patience`, not
for its whole run. A runner waiting on a long database call (web/database_waits.py) does not
count either: the CPU is free for another request meanwhile.

The worker loop is waitress 3's own (`ThreadedTaskDispatcher.handler_thread`) with two
changes: a thread takes a task only while fewer than `runners` quick ones run, and it keeps
when it started its task (and forgets a database wait its last task left behind).
"""
import threading
import time

from waitress.task import ThreadedTaskDispatcher


class RunnerDispatcher(ThreadedTaskDispatcher):
    """ThreadedTaskDispatcher that wakes a thread for a queued request only when fewer than
    `runners` requests are running quick (younger than `patience` seconds)."""

    def __init__(self, runners=1, patience=0.02):
        if runners < 1:
            raise ValueError(f"runners must be at least 1, not {runners}")
        if patience <= 0:
            raise ValueError(f"patience must be above 0 seconds, not {patience}")
        super().__init__()
        self.runners, self.patience = runners, patience
        self.started = {}  # thread ident -> time.monotonic() its current task started
        self.in_database = set()  # idents of runners in a long database call (database_wait)
        self.watch_cv = threading.Condition(self.lock)
        self.watcher_idle = False
        self.stopping = False
        self.watcher = threading.Thread(target=self._watch, name="waitress-watch", daemon=True)
        self.watcher.start()

    def handler_thread(self, thread_no):
        ident = threading.get_ident()
        while True:
            with self.lock:
                self.started.pop(ident, None)
                self.in_database.discard(ident)  # a statement that raised never said it ended
                while self.stop_count == 0 and not self._may_take(time.monotonic()):
                    self.active_count -= 1
                    self.queue_cv.wait()
                    self.active_count += 1
                if self.stop_count > 0:
                    self.active_count -= 1
                    self.stop_count -= 1
                    self.threads.discard(thread_no)
                    self.thread_exit_cv.notify()
                    break
                task = self.queue.popleft()
                self.started[ident] = time.monotonic()
            try:
                task.service()
            except BaseException:
                self.logger.exception("Exception when servicing %r", task)

    def add_task(self, task):
        with self.lock:
            self.queue.append(task)
            if self._quick_running(time.monotonic()) < self.runners:
                self.queue_cv.notify()
            if self.watcher_idle:
                self.watch_cv.notify()  # it watches while anything runs or waits
            waiting = len(self.queue) - (len(self.threads) - self.stop_count - self.active_count)
            if waiting > 0 and len(self.started) >= len(self.threads) - self.stop_count:
                self.queue_logger.warning("Task queue depth is %d", waiting)

    def _may_take(self, now):
        """A task waits and fewer than `runners` quick ones run: checked by each thread as it
        looks for work, so threads woken together (add_task, the watcher) take one each."""
        return self.queue and self._quick_running(now) < self.runners

    def _quick_running(self, now):
        return len(self._quick_starts(now))

    def _quick_starts(self, now):
        """When each quick runner started: younger than `patience`, not in a long database call."""
        return [started for ident, started in self.started.items()
                if now - started < self.patience and ident not in self.in_database]

    def database_wait_begins(self):
        """The calling thread starts a database call known to take milliseconds (a search of a
        big table; web/database_waits.py tells): it holds no interpreter lock meanwhile, so it
        does not count as a runner and a queued request may start."""
        ident = threading.get_ident()
        with self.lock:
            if ident in self.started:
                self.in_database.add(ident)
                if self._may_take(time.monotonic()):
                    self.queue_cv.notify()

    def database_wait_ends(self):
        with self.lock:
            self.in_database.discard(threading.get_ident())

    def _watch(self):
        """While requests run: when the queue waits on requests that have turned slow, wake a
        spare thread (one each `patience`); otherwise sleep until the next runner turns slow."""
        with self.lock:
            while not self.stopping:
                if not self.started and not self.queue:
                    self.watcher_idle = True
                    self.watch_cv.wait()
                    self.watcher_idle = False
                    continue
                now = time.monotonic()
                quick = sorted(self._quick_starts(now), reverse=True)
                if self.queue and len(quick) < self.runners:
                    self.queue_cv.notify()
                    self.watch_cv.wait(self.patience)
                elif len(quick) >= self.runners:
                    # Until the youngest `runners`-th quick request turns slow.
                    self.watch_cv.wait(quick[self.runners - 1] + self.patience - now)
                else:
                    self.watch_cv.wait(self.patience)

    def shutdown(self, cancel_pending=True, timeout=5):
        with self.lock:
            self.stopping = True
            self.watch_cv.notify()
        return super().shutdown(cancel_pending, timeout)
