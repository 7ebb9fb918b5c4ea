"""`poser datasync CONFIG`: for each consumer, read the changes after its cursor, apply, advance.

One loop over the consumers; each step is one batch of one consumer. When no consumer had
anything to do it waits for the next commit: on PostgreSQL a NOTIFY on `poser_datasync` (sent
by the capture triggers at commit); on SQLite a look at `PRAGMA data_version` every 20 ms
(it changes when another connection commits: one cheap read of shared memory in WAL mode).
Either way at most `poll_interval`, for retries. SIGTERM (or SIGINT) lets the current batch
finish, then the daemon exits.

Failures: an unreachable consumer is retried with exponential backoff, nothing parked. A change
that fails is retried with backoff; after `max_attempts` failures it is parked with its error,
later changes of the same record are parked behind it ("waiting"), and the others go on.
"""
import logging
import signal
import time


from ..db.engine import get_engine
from . import store
from .capture import CHANNEL
from .consumers import ChangeFailed, ConsumerRefused, Unavailable, consumer_class
from .entities import entity, plan_for_parameters

log = logging.getLogger(__name__)


class Worker:
    """One consumer's progress through the change log."""

    def __init__(self, consumer, source_engine, settings):
        self.consumer, self.source, self.settings = consumer, source_engine, settings
        self.name = consumer.name
        self.cursor = None          # None until opened
        self.attempts = {}          # change id -> failures so far
        self.failures = 0           # consecutive failures (backoff)
        self.wait_until = 0.0
        self.single = 0             # > 0: apply one change at a time (finding a failing one)
        self.refused = None         # the last ConsumerRefused message
        self.recorded = None        # the cursor last written to the source's consumer row
        self.record_after = 0.0

    # -- lifecycle ---------------------------------------------------------------

    def open(self):
        self.consumer.open()
        source_cursor = store.ensure_consumer(self.source, self.name, self.consumer.kind)
        if self.consumer.cursor_in_target:
            cursor = self.consumer.get_cursor()
            if cursor is None:
                log.warning("%s: no cursor on the target yet: starting from the first kept "
                            "change (a node that was not a copy needs `poser datasync catch-up`)",
                            self.name)
                cursor = 0
        else:
            cursor = source_cursor
        self.cursor = cursor
        self.recorded = source_cursor
        self.refused = None
        log.info("%s: %s consumer ready at change %d", self.name, self.consumer.kind, cursor)

    def backoff(self, error, reason):
        self.failures += 1
        delay = min(self.settings.backoff_max,
                    self.settings.backoff_base * 2 ** (self.failures - 1))
        self.wait_until = time.monotonic() + delay
        log.warning("%s: %s; retrying in %.0f s", self.name, reason, delay)
        try:
            store.record_error(self.source, self.name, error, self.consumer.kind)
        except Exception:  # the source itself may be down; the log has it
            log.exception("%s: cannot record the error", self.name)

    # -- one step ----------------------------------------------------------------

    def step(self):
        """Do one batch if there is one; True if there was work (or an error to wait out)."""
        if time.monotonic() < self.wait_until:
            return False
        try:
            return self._step()
        except ConsumerRefused as error:
            self.refused = str(error)
            self.cursor = None
            self.failures = max(self.failures, 10)  # wait long: a person has to act
            self.backoff(error, f"refused: {error}")
        except Unavailable as error:
            self.cursor = None  # re-open (and re-read the cursor) once it is back
            self.backoff(error, f"unavailable: {error}")
        return False

    def _step(self):
        try:
            if self.cursor is None:
                self.open()
            if self.retry_parked():
                return True
            return self.next_batch()
        except (ConsumerRefused, Unavailable):
            raise
        except Exception as error:  # anything unforeseen: log it, wait, try again
            log.exception("%s: step failed", self.name)
            self.backoff(error, f"failed: {error}")
            return False

    def next_batch(self):
        with self.source.connect() as connection:
            size = 1 if self.single else self.settings.batch_size
            changes = store.read_changes(connection, self.cursor, size)
            if not changes:
                # Idle now: catch the source's copy of a target-kept cursor up, if SQLite's
                # write lock is free within 20 ms (waiting behind web saves would delay the
                # next batch; the copy can be written at the next idle moment).
                if self.recorded != self.cursor and store.record_success(
                        self.source, self.name, self.cursor, wait_ms=20):
                    self.recorded = self.cursor
                return False
            blocked = store.blocked_targets(connection, self.name)
        held = [c for c in changes if c.target in blocked]
        todo = [c for c in changes if c.target not in blocked]
        if held:
            store.park(self.source, self.name, held, "waiting",
                       "waits behind an earlier parked change of the same record")
            log.warning("%s: %d change(s) wait behind parked ones", self.name, len(held))
        last = changes[-1].id
        try:
            self.load(todo)
        except ChangeFailed as failure:   # a change no model here declares
            self.failed(todo, failure.change, failure)
            return True
        try:
            self.consumer.apply(todo, last)
        except (Unavailable, ConsumerRefused):
            raise
        except ChangeFailed as failure:
            self.failed(todo, failure.change, failure)
            return True
        except Exception as error:
            if len(todo) > 1:
                log.info("%s: batch failed (%s); applying one change at a time", self.name, error)
                self.single = self.settings.batch_size
                return True
            self.failed(todo, todo[0], error)
            return True
        self.done(last, len(todo))
        return True

    def load(self, changes):
        """Each change's record as it is now: one read per entity, in one source transaction."""
        by_entity = {}
        for change in changes:
            by_entity.setdefault(change.entity, set()).add(change.key)
        records, unknown = {}, {}
        with self.source.connect() as connection:
            for name, keys in by_entity.items():
                try:
                    records[name] = entity(name).load(connection, keys)
                except LookupError as error:   # no model here declares it
                    unknown[name] = str(error)
        for change in changes:
            if change.entity in unknown:   # those before it are loaded: they can be applied
                raise ChangeFailed(change, unknown[change.entity])
            change.record = records[change.entity][change.key]

    def done(self, last, count):
        for change_id in [i for i in self.attempts if i <= last]:
            del self.attempts[change_id]
        self.cursor, self.failures = last, 0
        if self.single:
            self.single = max(0, self.single - count)
        # The source's copy of a target-kept cursor may lag: it is written when the lock is free.
        if not self.consumer.cursor_in_target:
            store.record_success(self.source, self.name, last)   # the real cursor: must be written
            self.recorded = last
        elif time.monotonic() >= self.record_after:
            # Only a copy: at most once a second, and not worth waiting for a busy SQLite.
            self.record_after = time.monotonic() + 1.0
            if store.record_success(self.source, self.name, last, wait_ms=20):
                self.recorded = last
        log.info("%s: applied %d change(s) up to %d", self.name, count, last)

    def failed(self, todo, change, error):
        """`change` failed: apply what came before it, then retry it later or park it."""
        before = [c for c in todo if c.id < change.id]
        if before:
            self.consumer.apply(before, change.id - 1)
            self.done(change.id - 1, len(before))
        attempts = self.attempts.get(change.id, 0) + 1
        self.attempts[change.id] = attempts
        if attempts >= self.settings.max_attempts:
            store.park(self.source, self.name, [change], "parked", error, attempts)
            del self.attempts[change.id]
            self.failures = 0
            log.error("%s: change %d (%s %s) parked after %d failures: %s", self.name, change.id,
                      change.entity, change.key, attempts, error)
            store.record_error(self.source, self.name, f"change {change.id} parked: {error}",
                           self.consumer.kind)
            return
        self.backoff(error, f"change {change.id} failed (attempt {attempts} of "
                            f"{self.settings.max_attempts}): {error}")

    def retry_parked(self):
        """Apply the parked changes someone asked to retry (the Datasync page)."""
        with self.source.connect() as connection:
            rows = store.parked(connection, self.name, status="retry")
        if not rows:
            return False
        groups = {}
        for change in store.parked_changes(rows):
            groups.setdefault(change.target, []).append(change)
        for changes in groups.values():
            ids = [c.id for c in changes]
            try:
                self.load(changes)
                self.consumer.apply(changes, None)
            except Unavailable:
                raise
            except Exception as error:
                store.retry_failed(self.source, self.name, ids, error)
                log.error("%s: retry of change(s) %s failed: %s", self.name, ids, error)
                continue
            store.unpark(self.source, self.name, ids)
            log.info("%s: retried parked change(s) %s", self.name, ids)
        return True


class Waiter:
    """Waits for the next commit on the source: LISTEN/NOTIFY on PostgreSQL, a look at
    PRAGMA data_version every TICK seconds on SQLite."""

    TICK = 0.02

    def __init__(self, source_engine, interval):
        self.interval = interval
        self.engine = source_engine
        self.connection = None
        self.postgresql = source_engine.dialect.name == "postgresql"
        self.version = None

    def mark(self):
        """Remember where the source is: a commit after this ends the next wait at once."""
        if not self.postgresql:
            self.version = self._data_version()

    def wait(self, should_stop):
        if self.postgresql:
            try:
                self._listen()
                for _ in self.connection.notifies(timeout=self.interval, stop_after=1):
                    pass
                return
            except Exception as error:  # the server went away: poll until it is back
                log.warning("LISTEN connection lost (%s); polling", error)
                self.close()
        deadline = time.monotonic() + self.interval
        while not should_stop() and time.monotonic() < deadline:
            if not self.postgresql and self.version is not None \
                    and self._data_version() != self.version:
                return
            time.sleep(min(self.TICK, self.interval))

    def _data_version(self):
        """SQLite's count of other connections' commits, on a connection of our own."""
        try:
            if self.connection is None:
                self.connection = self.engine.raw_connection()
            cursor = self.connection.cursor()
            try:
                return cursor.execute("PRAGMA data_version").fetchone()[0]
            finally:
                cursor.close()
        except Exception as error:  # the file went away or is locked: poll on the interval
            log.warning("cannot read PRAGMA data_version (%s)", error)
            self.close()
            return None

    def _listen(self):
        if self.connection is None:
            import psycopg

            url = self.engine.url.set(drivername="postgresql")
            self.connection = psycopg.connect(url.render_as_string(hide_password=False),
                                              autocommit=True)
            self.connection.execute(f"LISTEN {CHANNEL}")

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


class Daemon:
    def __init__(self, settings, only=None):
        self.settings = settings
        self.source = plan_for_parameters(get_engine(settings.app))
        names = only or list(settings.consumers)
        self.workers = []
        for name in names:
            options = settings.consumers[name]
            cls = consumer_class(options["type"])
            self.workers.append(Worker(cls(name, options, self.source), self.source, settings))
        self.stopping = False

    def stop(self, *_):
        if not self.stopping:
            log.info("stopping after the current batch")
        self.stopping = True

    def run(self, until_idle=False, install_signals=True):
        """Run until stopped (or, with until_idle, until every consumer is caught up)."""
        if install_signals:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        waiter = Waiter(self.source, self.settings.poll_interval)
        log.info("datasync started: %s", ", ".join(f"{w.name} ({w.consumer.kind})"
                                                  for w in self.workers))
        try:
            while not self.stopping:
                waiter.mark()
                worked = False
                for worker in self.workers:
                    if self.stopping:
                        break
                    worked = worker.step() or worked
                if until_idle and not worked and self.idle():
                    break
                if not worked and not self.stopping:
                    waiter.wait(lambda: self.stopping)
        finally:
            waiter.close()
            for worker in self.workers:
                worker.consumer.close()
            self.source.dispose()
            log.info("datasync stopped")
        return self.exit_status()

    def idle(self):
        """Every consumer at the end of the log (or refused: nothing more will happen)."""
        with self.source.connect() as connection:
            last = store.last_change_id(connection)
        return all(w.refused or (w.cursor is not None and w.cursor >= last) for w in self.workers)

    def exit_status(self):
        refused = [w for w in self.workers if w.refused]
        for worker in refused:
            log.error("%s", worker.refused)
        return 2 if refused else 0
