"""The interface every consumer implements.

    class MyConsumer(Consumer):
        def open(self): ...                     # connect; raise Unavailable if it cannot yet
        def apply(self, changes, cursor): ...   # ship them, all or nothing
        def close(self): ...

`changes` are `store.Change`s in id order, each with `.id`, `.entity` (e.g. "gizmo"), `.key`,
`.action` ("upsert"/"delete" as captured), `.changed_at` and `.record`: the whole record as it
is now (a dict with its child rows, e.g. "parts"), or None when it is gone — ship that as
a delete. Several changes of one record in a batch carry the same (latest) record.

Raise `Unavailable` when the other system cannot be reached: the daemon retries with backoff
and never parks for it. Raise `ChangeFailed(change, reason)` when one change cannot be applied
(any other exception is narrowed down to the change that raises it by retrying one at a time):
after `max_attempts` failures it is parked and the others go on.

Where the cursor lives: by default the daemon keeps it in the source database after `apply`
returns (at-least-once: a crash between the two repeats the batch, so receivers should drop
duplicates by change id). A consumer that can store it in the same transaction as its data
sets `cursor_in_target = True`, implements `get_cursor()`, and stores `cursor` in `apply`
(`cursor` is None when the daemon re-applies parked changes it has already passed).
"""


class Unavailable(Exception):
    """The other system cannot be reached now: retry later, never park."""


class ConsumerRefused(Exception):
    """The consumer cannot run as configured (wrong schema version, unknown runas user...)."""


class ChangeFailed(Exception):
    def __init__(self, change, reason):
        super().__init__(f"change {change.id} ({change.entity} {change.key}): {reason}")
        self.change, self.reason = change, reason


class Consumer:
    kind = "custom"
    cursor_in_target = False

    def __init__(self, name, options, source_engine):
        self.name = name
        self.options = dict(options)   # the consumer's ini section
        self.source_engine = source_engine

    def open(self):
        pass

    def close(self):
        pass

    def get_cursor(self):
        raise NotImplementedError

    def apply(self, changes, cursor):
        raise NotImplementedError

    def option(self, key, default=None):
        value = self.options.get(key)
        if value is None or value == "":
            if default is None:
                raise ConsumerRefused(f"consumer {self.name}: the option {key!r} is required")
            return default
        return value
