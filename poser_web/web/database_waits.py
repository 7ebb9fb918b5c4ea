"""Long SQLite statements let another request run (web/dispatcher.py's runners).

SQLite works in this process but without the interpreter lock: while one request's search
counts 100,000 rows (3 ms), another request can run its Python on the other core. Most
statements take a few hundredths of a millisecond, and letting a second request in for each
would bring back the hand-overs the runners avoid. So the engine's cursor events keep each
statement's running average time, and tell the dispatcher when a thread starts one whose
average is LONG_STATEMENT_S or more, and when it ends. (bench, 100,000 widgets: searches
268 -> 340 a second, as many as waitress's own dispatcher, with lists and saves unchanged.)

Not for PostgreSQL (server.py): its long statements are mostly waits for another transaction's
lock or for the database server's CPU, which its second runner already overlaps; a third
runner during them cost 4 % of the save cycles (160 -> 153 a second).
"""
import threading
import time

from sqlalchemy import event

LONG_STATEMENT_S = 0.0004
# A new sample's weight in a statement's running average.
WEIGHT = 0.2
# Statements whose averages are kept; past that the table starts again (texts with varying IN
# lists are new statements each).
KEPT = 2000


def install(engine, dispatcher):
    """Listen to `engine`'s cursor events for `dispatcher` (a RunnerDispatcher)."""
    averages, local = {}, threading.local()

    def before(conn, cursor, statement, parameters, context, executemany):
        local.long = averages.get(statement, 0.0) >= LONG_STATEMENT_S
        if local.long:
            dispatcher.database_wait_begins()
        local.started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - local.started
        if local.long:
            dispatcher.database_wait_ends()
        if len(averages) >= KEPT:
            averages.clear()
        average = averages.get(statement)
        averages[statement] = took if average is None else average + WEIGHT * (took - average)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    return averages
