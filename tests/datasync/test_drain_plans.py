"""PostgreSQL: the daemon reads its target by index, whatever the planner statistics (a new
node, autovacuum off: none) and however the target grew since the daemon started. psycopg
prepares a statement run five times and the server may then keep one generic plan for the
session, costed on the table as it was then: empty or nearly. Kept while the node filled,
a sequential scan read the whole table for every chunk of keys (most of a drain's time at
ten thousand records). Counted in rows read, not seconds."""
import pytest
from sqlalchemy import select, text

from poser_web.datasync.daemon import Daemon
from poser_web.db.engine import get_engine
from poser_web.models import DatasyncCursor
from tests.databases import migrate
from tests.datasync_support import RUNAS, add_widgets, last_change, reset, run_in_thread, settings_for
from tests.waiting import wait_until

pytestmark = pytest.mark.only_db("postgresql")

BATCH = 20
GROWTH = 20_000   # rows the target gets meanwhile from elsewhere (a local import)
READ = text("SELECT n_tup_ins, coalesce(seq_tup_read, 0) FROM pg_stat_user_tables "
            "WHERE relname = 'poser_widget'")
GROW = text("INSERT INTO poser_widget (uuid, description) "
            "SELECT md5('local ' || n), 'local ' || n FROM generate_series(1, :rows) AS n")


@pytest.fixture
def new_databases(scratch_databases):
    engines = []
    for _ in range(2):
        url = scratch_databases.create()
        migrate(url)
        engines.append(get_engine({"sqlalchemy.url": url}))
        reset(engines[-1])
    yield engines
    for engine in engines:
        engine.dispose()


def widgets_read(target):
    """(rows inserted into poser_widget, rows sequential scans of it read), as counted."""
    with target.connect() as connection:
        return tuple(connection.execute(READ).one())


def caught_up(source, target):
    def done():
        with target.connect() as connection:
            return connection.scalar(select(DatasyncCursor.change_id)) == last_change(source)
    wait_until(done, "the daemon to catch up")


def test_the_target_is_read_by_index_after_it_grew(new_databases):
    source, target = new_databases
    daemon = Daemon(settings_for(source.url.render_as_string(hide_password=False), {"node": {
        "type": "poser", "url": target.url.render_as_string(hide_password=False),
        "runas": RUNAS}}, batch_size=BATCH))
    thread = run_in_thread(daemon)
    try:
        for n in range(15):   # enough batches for a generic plan, made on a tiny table
            add_widgets(source, BATCH, prefix=f"early {n} ", components=0)
            caught_up(source, target)
        with target.begin() as connection:
            connection.execute(GROW, {"rows": GROWTH})
        for n in range(5):
            add_widgets(source, BATCH, prefix=f"late {n} ", components=0)
            caught_up(source, target)
    finally:
        daemon.stop()
        thread.join(60)
    # Counted, not read: a count(*) of the target would be a sequential scan of it, read in
    # the very figure below whenever the visibility map did not allow an index-only scan yet.
    widgets = GROWTH + 20 * BATCH
    # The sessions have ended; their counts reach the statistics soon after.
    wait_until(lambda: widgets_read(target)[0] == widgets, "the target's counts")
    read = widgets_read(target)[1]
    # By index: each batch's keys. Scans of the tiny early table read a few thousand rows in
    # all; a plan scanning the grown table reads GROWTH rows for each of the last batches.
    assert read < GROWTH, read
