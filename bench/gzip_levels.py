"""Size and CPU of each gzip level on the real list page (what web/compression.py's LEVEL is
chosen from).

    .venv/bin/python bench/gzip_levels.py [--db sqlite] [--widgets 1000] [--url URL] [--repeat 300]

The page is the list of 50 widgets as bench/page_cpu.py gets it (production.ini, logged in),
compressed by web/compression.compress at each level. CPU is process time per compression
(indicative: compare the levels of one run with each other, not with other runs).
"""
import argparse
import gzip
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import page_cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--widgets", type=int, default=1000)
    ap.add_argument("--url", help="an already seeded database (with the bench login)")
    ap.add_argument("--repeat", type=int, default=300)
    args = ap.parse_args()
    database = None if args.url else page_cpu.prepared(args.db, args.widgets)
    try:
        site = page_cpu.Site(args.url or database.url)
        body = gzip.decompress(site.call("GET", page_cpu.LIST)[2])
        from isal import isal_zlib

        from poser_web.web import compression

        print(f"list page: {len(body):,} bytes of HTML; {args.repeat} compressions per level\n")
        print("| level | bytes | ratio | CPU ms per page |\n|---|---|---|---|")
        for level in range(isal_zlib.ISAL_BEST_SPEED, isal_zlib.ISAL_BEST_COMPRESSION + 1):
            compression.LEVEL = level
            sizes, start = [], time.process_time()
            for _ in range(args.repeat):
                sizes.append(len(compression.compress(body)))
            cpu = (time.process_time() - start) / args.repeat * 1000
            size = sum(sizes) / len(sizes)  # the header's random name varies the size
            print(f"| {level} | {size:,.0f} | {len(body) / size:.1f} | {cpu:.3f} |")
    finally:
        if database is not None:
            database.drop()


if __name__ == "__main__":
    main()
