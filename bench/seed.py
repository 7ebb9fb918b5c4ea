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
    from poser_web.models import Component, Widget, get_engine

    engine = get_engine({"sqlalchemy.url": url})
    counts = {"widgets": 0, "components": 0, "samples": []}
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
        if engine.dialect.name == "postgresql":
            # What autovacuum does shortly after a bulk load (PostgreSQL 13+ vacuums
            # after inserts too): statistics and the visibility map that index-only
            # scans rely on. Both servers see it.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE poser_widget"))
                conn.execute(text("VACUUM ANALYZE poser_component"))
    finally:
        engine.dispose()
    return counts


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
