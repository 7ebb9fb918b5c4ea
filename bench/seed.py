"""Seed N deterministic widgets (~K components each) through poser_web's own models.

Same generator as ../shared/peer/seed.py (same words, same random sequence), but
the rows go in through `poser_web.models.Widget` / `Component` with ORM bulk
inserts (`session.execute(insert(Widget), [dicts])`), so column defaults the
project adds later are applied by its own code.

  python bench/seed.py URL N [--per-widget K]
"""
import argparse
import random
import uuid

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
         "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu "
         "sprocket gear flange bolt washer rivet spring valve gasket bearing").split()
# A word of the descriptions: each appears in ~8% of them (3 of 36 words per widget).
SEARCH_WORD = "sprocket"
BATCH = 20000


def rows(n, per_widget=3, seed=42):
    """Yield (widget dict, [component dicts]) for widgets 0..n-1, deterministically."""
    rnd = random.Random(seed)
    for i in range(n):
        wid = uuid.UUID(int=rnd.getrandbits(128)).hex
        widget = {"uuid": wid, "active": rnd.random() < 0.8,
                  "description": " ".join(rnd.choice(WORDS) for _ in range(3)) + f" {i}"}
        components = []
        for _ in range(rnd.randint(0, 2 * per_widget)):
            components.append({"uuid": uuid.UUID(int=rnd.getrandbits(128)).hex, "widget_uuid": wid,
                               "item_code": f"{rnd.randint(0, 10**8):08d}", "active": rnd.random() < 0.9,
                               "description": " ".join(rnd.choice(WORDS) for _ in range(2))})
        yield widget, components


def seed(url, n, per_widget=3, progress=None):
    """Insert the widgets; returns {"widgets", "components", "samples"}.

    samples: uuids of up to 8 widgets from the middle of the sequence.
    """
    from poser_web.db.engine import get_engine
    from poser_web.tables.widgets.models import Component, Widget

    engine = get_engine({"sqlalchemy.url": url})
    counts = {"widgets": 0, "components": 0, "samples": []}
    suspended = _suspend_search_indexes(engine)
    try:
        ws, cs = [], []
        with Session(engine) as session:
            for i, (widget, components) in enumerate(rows(n, per_widget)):
                ws.append(widget)
                cs.extend(components)
                if n // 2 <= i < n // 2 + 8:
                    counts["samples"].append(widget["uuid"])
                if len(ws) >= BATCH or i == n - 1:
                    session.execute(insert(Widget), ws)
                    if cs:
                        session.execute(insert(Component), cs)
                    session.commit()
                    counts["widgets"] += len(ws)
                    counts["components"] += len(cs)
                    ws, cs = [], []
                    if progress:
                        progress(counts["widgets"])
        _restore_search_indexes(engine, suspended)
        if engine.dialect.name == "postgresql":
            # What autovacuum does shortly after a bulk load (PostgreSQL 13+ vacuums
            # after inserts too): statistics and the visibility map that index-only
            # scans rely on. Both servers see it.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE poser_widget"))
                conn.execute(text("VACUUM ANALYZE poser_component"))
                # The load's dirty pages written now, not by a checkpoint spread over the first
                # minutes of measurement (the PostgreSQL half of a run measured its first page
                # at half the rate of the pages after it).
                conn.execute(text("CHECKPOINT"))
    finally:
        engine.dispose()
    return counts


def _search_indexes(engine):
    """SQLite's FTS5 search tables as (table, column) pairs (poser_web/db/search_index.py)."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as conn:
        names = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                  "AND name LIKE '%\\_fts' ESCAPE '\\'")).all()
    pairs = []
    for name, sql in names:
        table = sql.split("content='")[1].split("'")[0]
        pairs.append((table, name[len(table) + 1:-len("_fts")]))
    return pairs


def _suspend_search_indexes(engine):
    """SQLite: the search tables' triggers dropped for the bulk load (rebuilt once after it,
    as a bulk load would do; row by row, FTS5 more than doubles the seeding time)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from poser_web.db.search_index import _sqlite_triggers

    pairs = _search_indexes(engine)
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        for table, column in pairs:
            for name in _sqlite_triggers(table, column):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    return pairs


def _restore_search_indexes(engine, pairs):
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from poser_web.db.search_index import restore_search_index

    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        for table, column in pairs:
            restore_search_index(table, column)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("n", type=int)
    ap.add_argument("--per-widget", type=int, default=3)
    args = ap.parse_args()
    counts = seed(args.url, args.n, args.per_widget)
    print(f"seeded {counts['widgets']} widgets, {counts['components']} components into {args.url}")


if __name__ == "__main__":
    main()
