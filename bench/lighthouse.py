"""Lighthouse scores and first-visit bytes of the list and edit pages, poser_web and (optionally) Django admin.

    .venv/bin/python bench/lighthouse.py --url sqlite:////abs/seeded.sqlite \\
        --lighthouse /tmp/lh/node_modules/.bin/lighthouse --login bench:bench-password [--peer]

The database must be migrated and seeded (bench/seed.py). Lighthouse (npm `lighthouse@12.2.3`, installed
outside the repository) runs Debian's /usr/bin/chromium headless with its defaults: a mobile device,
simulated slow 4G and a 4x slower CPU; a fresh profile, so this is a first visit. Each page is run
`--runs` times and the median score is reported. Prints a markdown table.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import client, scratch, servers  # noqa: E402

CATEGORIES = ("performance", "best-practices")


def lighthouse(binary, url, cookie, runs):
    """[(scores by category, total bytes, FCP ms, LCP ms)] for `runs` runs of `url`."""
    import urllib.request

    warm = urllib.request.Request(url, headers={"Cookie": cookie})
    urllib.request.urlopen(warm, timeout=60).read()  # a cold page compiles its templates first
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            report = Path(out) / "report.json"
            command = [binary, url, "--quiet", "--output=json", f"--output-path={report}",
                       "--only-categories=" + ",".join(CATEGORIES),
                       "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                       "--extra-headers=" + json.dumps({"Cookie": cookie})]
            done = subprocess.run(command, env=dict(os.environ, CHROME_PATH="/usr/bin/chromium"),
                                  capture_output=True, text=True, timeout=300)
            if done.returncode != 0 or not report.exists():
                raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-1500:]}")
            data = json.loads(report.read_text())
        audits = data["audits"]
        results.append(({c: round(data["categories"][c]["score"] * 100) for c in CATEGORIES},
                        audits["total-byte-weight"]["numericValue"],
                        audits["first-contentful-paint"]["numericValue"],
                        audits["largest-contentful-paint"]["numericValue"],
                        [a["id"] for a in audits.values()
                         if a.get("score") is not None and a["score"] < 0.9
                         and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")]))
    return results


def summary(server, page, results):
    scores = {c: statistics.median(r[0][c] for r in results) for c in CATEGORIES}
    kb = statistics.median(r[1] for r in results) / 1000
    fcp = statistics.median(r[2] for r in results)
    lcp = statistics.median(r[3] for r in results)
    flagged = sorted({a for r in results for a in r[4]})
    return (f"| {server} | {page} | {scores['performance']:.0f} | {scores['best-practices']:.0f} | "
            f"{kb:,.1f} | {fcp:,.0f} | {lcp:,.0f} | {', '.join(flagged) or '—'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="a migrated, seeded database (SQLAlchemy URL)")
    ap.add_argument("--lighthouse", required=True, help="the lighthouse executable")
    ap.add_argument("--login", required=True, metavar="USER:PASSWORD")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--peer", action="store_true", help="also Django admin (bench/out/peer-venv or $PEER_PY)")
    ap.add_argument("--ini", default="development.ini")
    args = ap.parse_args()

    try:
        scratch.add_login_user(args.url, args.login, args.ini)
    except RuntimeError as error:
        if "exists already" not in str(error):
            raise
    from sqlalchemy import create_engine, text
    engine = create_engine(args.url)
    with engine.connect() as conn:
        sample = conn.scalar(text("SELECT uuid FROM poser_widget WHERE component_count BETWEEN 3 AND 6 "
                                  "ORDER BY description LIMIT 1"))
    engine.dispose()

    rows = []
    poser = servers.spawn_poser(args.url, ini=args.ini)()
    try:
        cookie = client.login(poser.port, args.login)
        base = f"http://127.0.0.1:{poser.port}"
        for page, path in (("list", "/widgets"), ("edit", f"/widgets/{sample}/edit")):
            rows.append(summary("poser_web", page, lighthouse(args.lighthouse, base + path, cookie, args.runs)))
            print(rows[-1], flush=True)
    finally:
        poser.stop()
    if args.peer:
        py = os.environ.get("PEER_PY") or str(scratch.REPO / "bench" / "out" / "peer-venv" / "bin" / "python")
        peer_url = args.url  # the peer takes sqlite:////abs/path.sqlite as is
        peer = servers.start_peer(peer_url, py)
        try:
            cookie = peer.cookie if "=" in peer.cookie else f"sessionid={peer.cookie}"
            base = f"http://127.0.0.1:{peer.port}"
            for page, path in (("list", "/admin/peer_app/widget/"),
                               ("edit", f"/admin/peer_app/widget/{sample}/change/")):
                rows.append(summary("django admin", page,
                                    lighthouse(args.lighthouse, base + path, cookie, args.runs)))
                print(rows[-1], flush=True)
        finally:
            peer.stop()
    print()
    print("| server | page | performance | best practices | KB transferred (first visit) | FCP ms | LCP ms "
          "| audits below 0.9 |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
