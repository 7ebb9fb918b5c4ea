"""Benchmark poser_web against the Django admin peer on the same data (issue 6).

  python bench/run.py [--sizes 1000,100000] [--databases sqlite,postgresql]
                      [--duration 10] [--out BENCHMARKS.md] [--smoke] [--login USER:PASSWORD]

For each database and size: a fresh database, `alembic upgrade heads`, N seeded
widgets (~3 components each) through poser_web's models; poser_web under waitress
(4 threads) and the Django admin peer on the same database; 4 concurrent
connections of one Python client. Prints a markdown report; writes it to
BENCHMARKS.md (in --smoke mode only when --out is given).
"""
import argparse
import html
import itertools
import math
import re
import sys
import time
import traceback
import urllib.parse
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from bench import actions, client, report, scratch, seed, servers, sqlcount, wrk  # noqa: E402

PER_PAGE = 50
LIST = f"/widgets?sort=description&dir=asc&per_page={PER_PAGE}"
API_LIST = f"/api/widgets?sort=description&dir=asc&per_page={PER_PAGE}"
PEER_LIST = "/admin/peer_app/widget/"  # 50 rows sorted by description, like LIST
SAVE_COMPONENTS = 50
CONNECTIONS = 4


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def show_sql(path, statements):
    log(f"{len(statements)} statements for GET {path}:")
    for statement in statements:
        print("    " + " ".join(statement.split()), file=sys.stderr)


def deep_page(n):
    """Page 5,000 at 1M (the issue's figure: N/200), clamped to the last page."""
    return max(1, min(n // 200, math.ceil(n / PER_PAGE)))


def next_link(port, path, cookie):
    """The Next link (a keyset cursor) of the list page at `path`, as a path."""
    http_ = client.Http(port, cookie=cookie)
    try:
        status, _, body = http_.get(path)
    finally:
        http_.close()
    found = re.search(r'href="([^"]+)" rel="next"', body.decode("utf-8", "replace"))
    if status != 200 or not found:
        raise RuntimeError(f"GET {path} answered {status} without a Next link")
    url = urllib.parse.urlsplit(html.unescape(found.group(1)))
    return f"{url.path}?{url.query}"


def paired_pages(n):
    """(key, label, poser path, peer path): measured on both servers, one after the other."""
    return [
        ("list", "list, 50 rows by description", LIST, PEER_LIST),
        ("search", f"search q={seed.SEARCH_WORD}",
         f"/widgets?q={seed.SEARCH_WORD}&sort=description&dir=asc&per_page={PER_PAGE}",
         f"{PEER_LIST}?q={seed.SEARCH_WORD}"),
        ("deep", f"deep page ({deep_page(n)}) by number", f"{LIST}&page={deep_page(n)}",
         f"{PEER_LIST}?p={deep_page(n)}"),
    ]


def poser_pages(n, sample):
    """(key, label, path) of the poser-only GET measurements."""
    return [
        ("api", "API list, 50 records by description", API_LIST),
        ("apisearch", f"API search q={seed.SEARCH_WORD}",
         f"/api/widgets?q={seed.SEARCH_WORD}&sort=description&dir=asc&per_page={PER_PAGE}"),
        ("filter", "filter active=no", f"/widgets?active=no&sort=description&dir=asc&per_page={PER_PAGE}"),
        ("sortc", "sort by components desc", f"/widgets?sort=components&dir=desc&per_page={PER_PAGE}"),
        ("view", "widget page", f"/widgets/{sample}"),
    ]


def save_work(uuids):
    """Per-connection work: GET the edit page, POST it with 50 components (POST timed).

    Each connection edits its own widget, so saves never contend for one row.
    """
    assigned, connection_numbers, revisions = list(uuids), itertools.count(), itertools.count(1)

    def work(http_):
        if not hasattr(http_, "bench_uuid"):
            http_.bench_uuid = assigned[next(connection_numbers) % len(assigned)]
        rows = actions.component_rows(SAVE_COMPONENTS, f"bench rev {next(revisions)}")
        status, headers, _, seconds = actions.save_widget(http_, f"/widgets/{http_.bench_uuid}/edit", rows=rows)
        if status in (302, 303) and "/login" in headers.get("location", ""):
            status = f"{status}→/login"  # not saved: the session is not logged in
        return status, seconds

    return work


def check_save(port, uuid, cookie):
    """None when a 50-component save can be built, else the reason it cannot."""
    http_ = client.Http(port, cookie=cookie)
    try:
        form, _ = actions.load_form(http_, f"/widgets/{uuid}/edit")
        rows = actions.component_rows(SAVE_COMPONENTS, "probe")
        actions.forms.fill(form, {}, {"components": rows})
    except (actions.FormUnavailable, ValueError) as error:
        return str(error)
    finally:
        http_.close()
    return None


def row(db, n, key, label, server, path, stats=None, sql=None, note="", log_path=None):
    codes = [c for c in (stats or {}).get("statuses", {}) if isinstance(c, int)]
    first = [c for c in (stats or {}).get("first", {}) if isinstance(c, int)]
    if key not in ("save", "cycle") and codes and all(300 <= code < 400 for code in codes):
        note = (note + " " if note else "") + "redirected (to a login page? see --login)"
    if log_path and any(code >= 500 for code in codes + first):
        note = (note + " " if note else "") + f"5xx: see {Path(log_path).relative_to(scratch.REPO)}: " + \
            "; ".join(servers.log_errors(log_path, 2))
    return {"db": db, "n": n, "key": key, "label": label, "server": server, "path": path,
            "stats": stats, "sql": sql, "note": note}


def cycle_work(uuids, edit_page, submit):
    """Per-connection work: the save cycle (GET the edit page, POST it back with a new
    description and its components as shown), timed whole. Each connection edits its own
    widget, so saves never contend for one row."""
    assigned, connection_numbers, revisions = list(uuids), itertools.count(), itertools.count(1)

    def work(http_):
        if not hasattr(http_, "bench_uuid"):
            http_.bench_uuid = assigned[next(connection_numbers) % len(assigned)]
        return actions.save_cycle(http_, edit_page.format(uuid=http_.bench_uuid),
                                  {"description": f"bench cycle {next(revisions)}"}, submit)

    return work


POSER_EDIT, PEER_EDIT = "/widgets/{uuid}/edit", "/admin/peer_app/widget/{uuid}/change/"


def measure_get(port, path, cookie, measure):
    return wrk.measure(port, path, cookie=cookie, **measure)


def bench_one(db, n, args, peer_py):
    rows = []
    s = scratch.Scratch(db, f"{db[:2]}{n}")
    poser = peer = None
    try:
        log(f"{db} {n:,}: migrate + seed ({s.name})")
        scratch.migrate(s.url)
        if args.login:
            scratch.add_login_user(s.url, args.login, args.ini)
        t = time.monotonic()
        counts = seed.seed(s.url, n)
        log(f"{db} {n:,}: seeded {counts['widgets']:,} widgets, {counts['components']:,} components "
            f"in {time.monotonic() - t:.0f}s")
        sample = counts["samples"][0]
        paired, pages = paired_pages(n), poser_pages(n, sample)
        counted = [p for _, _, p, _ in paired] + [p for _, _, p in pages]
        ready = servers.spawn_poser(s.url, ini=args.ini)  # boots while the statements are counted
        try:
            cookie = None
            if args.login:
                poser = ready()
                cookie = client.login(poser.port, args.login)
            sql = sqlcount.count_statements(s.url, counted, args.login, ini=args.ini,
                                            show=show_sql if args.show_sql else None)
        finally:
            poser = poser or ready()
        # The same deep page reached as a user pages to it: Next from the page before
        # (a keyset cursor), not a jump by number (OFFSET).
        if deep_page(n) > 1:
            deep_next = next_link(poser.port, f"{LIST}&page={deep_page(n) - 1}", cookie)
            pages.insert(0, ("deepnext", f"deep page ({deep_page(n)}) by Next link", deep_next))
            sql.update(sqlcount.count_statements(s.url, [deep_next], args.login, ini=args.ini,
                                                 show=show_sql if args.show_sql else None))
        measure = dict(duration=args.duration, connections=CONNECTIONS, warmup=args.warmup, timeout=args.timeout)
        peer_missing = "skipped: --no-peer" if args.no_peer else "skipped: no Python with django"
        if peer_py:
            try:
                peer = servers.start_peer(s.peer_url, peer_py)
            except (RuntimeError, OSError) as error:
                peer_missing = f"peer failed: {error}"

        # Ratios come from one run alternating between the two servers, page by page.
        samples = counts["samples"][:CONNECTIONS]
        paired.append(("cycle", "save cycle: GET edit + POST back (~3 components)",
                       cycle_work(samples, POSER_EDIT, "save"), cycle_work(samples, PEER_EDIT, "_save")))
        for key, label, poser_work, peer_work in paired:
            log(f"{db} {n:,}: poser {label}")
            shown = POSER_EDIT if callable(poser_work) else poser_work
            stats = (client.measure(poser.port, poser_work, cookie=cookie, **measure) if callable(poser_work)
                     else measure_get(poser.port, poser_work, cookie, measure))
            rows.append(row(db, n, key, label, "poser_web", shown, stats, sql.get(shown), log_path=poser.log))
            shown = PEER_EDIT if callable(peer_work) else peer_work
            if not peer:
                rows.append(row(db, n, key, label, "django admin", shown, note=peer_missing))
                continue
            log(f"{db} {n:,}: django {label}")
            stats = (client.measure(peer.port, peer_work, cookie=peer.cookie, **measure) if callable(peer_work)
                     else measure_get(peer.port, peer_work, peer.cookie, measure))
            rows.append(row(db, n, key, label, "django admin", shown, stats, log_path=peer.log))
        if peer:
            peer.stop()
            peer = None

        for key, label, path in pages:
            log(f"{db} {n:,}: poser {label}")
            rows.append(row(db, n, key, label, "poser_web", path, measure_get(poser.port, path, cookie, measure),
                            sql.get(path), log_path=poser.log))

        label = f"save widget, {SAVE_COMPONENTS} components (POST)"
        path = "/widgets/{uuid}/edit"
        reason = check_save(poser.port, sample, cookie)
        if reason:
            rows.append(row(db, n, "save", label, "poser_web", path, note=f"n/a: {reason}"))
        else:
            log(f"{db} {n:,}: poser save")
            work = save_work(samples)
            rows.append(row(db, n, "save", label, "poser_web", path,
                            client.measure(poser.port, work, cookie=cookie, **measure), log_path=poser.log))
    finally:
        for server in (peer, poser):
            if server:
                server.stop()
        if not args.keep:
            s.drop()
    return rows


def median(rows, db, n, key, server="poser_web"):
    for r in rows:
        if (r["db"], r["n"], r["key"], r["server"]) == (db, n, key, server) and r["stats"]:
            return r["stats"]["median_ms"]
    return None


def rps(rows, db, n, key, server):
    for r in rows:
        if (r["db"], r["n"], r["key"], r["server"]) == (db, n, key, server) and r["stats"]:
            return r["stats"]["rps"] if r["stats"]["requests"] else None
    return None


def sql_text(sql):
    """The SQL column: the count, or what the counted request got instead of a page."""
    if not sql:
        return "—"
    status, count = sql
    if count is None:
        return f"n/a ({status})"
    return str(count) if status == 200 else f"{count} ({status})"


def render(rows, args, env):
    out = ["## Throughput and latency (`bench/run.py`)", "", env, "",
           f"- settings: {args.duration:g} s per measurement after {args.warmup:g} s warm-up, "
           f"{CONNECTIONS} concurrent keep-alive connections, waitress 4 threads, "
           f"`{args.ini}`; widgets seeded with ~3 components each; PostgreSQL VACUUM ANALYZEd after seeding",
           "- `answered`: HTTP status of every measured request (a 3xx/4xx is reported, not followed); "
           "`SQL`: statements one request issues (in-process count; BEGIN/COMMIT not counted)", ""]
    body = []
    for r in rows:
        st = r["stats"]
        body.append([r["db"], f"{r['n']:,}", r["label"], r["server"],
                     client.status_text(st) if st else "—",
                     report.num(st["rps"]) if st else "n/a",
                     report.num(st["median_ms"]) if st else "n/a",
                     report.num(st["p95_ms"]) if st else "n/a",
                     sql_text(r["sql"]), r["note"]])
    out.append(report.table(["database", "widgets", "page", "server", "answered", "req/s", "median ms",
                             "p95 ms", "SQL", "note"], body))
    combos = sorted({(r["db"], r["n"]) for r in rows if r["stats"]}, key=lambda c: (c[0], c[1]))
    out += ["", "### Ratios", "",
            "poser/django: throughput (req/s) of the same page on both servers, measured one after the other; "
            "API/HTML: the JSON list's throughput over the HTML list's; the others: median latency of that "
            "page / the first list page.", ""]
    ratio_rows = []
    for db, n in combos:
        first = median(rows, db, n, "list")
        versus_peer = [report.ratio(rps(rows, db, n, k, "poser_web"), rps(rows, db, n, k, "django admin"))
                       for k in ("list", "search", "deep", "cycle")]
        ratio_rows.append([db, f"{n:,}", *versus_peer,
                           report.ratio(rps(rows, db, n, "api", "poser_web"), rps(rows, db, n, "list", "poser_web")),
                           *(report.ratio(median(rows, db, n, k), first)
                             for k in ("deepnext", "deep", "search", "filter", "sortc"))])
    out.append(report.table(["database", "widgets", "list poser/django", "search poser/django",
                             "deep page poser/django", "save cycle poser/django", "API list/HTML list",
                             "deep by Next/first", "deep by number/first", "search/first", "filter/first",
                             "sort by components/first"], ratio_rows))
    sizes = sorted({n for _, n in combos})
    if len(sizes) > 1 and combos:
        small, large = sizes[0], sizes[-1]
        out += ["", f"### Scaling: {large:,} / {small:,} widgets (median latency, poser_web)", ""]
        scale_rows = []
        for db in sorted({d for d, _ in combos}):
            for key, label in (("list", "list"), ("deepnext", "deep page by Next"),
                               ("deep", "deep page by number"), ("search", "search"),
                               ("filter", "filter"), ("sortc", "sort by components"), ("view", "widget page"),
                               ("api", "API list"), ("cycle", "save cycle"), ("save", "save 50 components")):
                a, b = median(rows, db, small, key), median(rows, db, large, key)
                if a is None and b is None:
                    continue
                scale_rows.append([db, label, report.num(a), report.num(b), report.ratio(b, a)])
        out.append(report.table(["database", "page", f"median ms at {small:,}", f"median ms at {large:,}",
                                 "ratio"], scale_rows))
    return "\n".join(out) + "\n"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="poser_web vs Django admin on the same data (bench/README.md)")
    ap.add_argument("--sizes", default="1000,100000", help="widget counts, comma-separated")
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    ap.add_argument("--warmup", type=float, default=None, help="seconds of uncounted warm-up (default 1, smoke 0)")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds one request may take")
    ap.add_argument("--smoke", action="store_true", help="1k rows, ~1 s measurements; writes nothing unless --out")
    ap.add_argument("--out", default=None, help="markdown file to write (default BENCHMARKS.md at the repo root)")
    ap.add_argument("--no-peer", action="store_true", help="measure poser_web alone")
    ap.add_argument("--ini", default="development.ini", help="the app's ini (relative to the repository root)")
    ap.add_argument("--login", default=None, metavar="USER:PASSWORD",
                    help="create this administrator (`poser adduser --admin`) and log in through /login")
    ap.add_argument("--keep", action="store_true", help="keep the scratch databases")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 also when poser_web answers a 5xx or drops a request (timings never fail)")
    ap.add_argument("--show-sql", action="store_true", help="print the statements each counted page issues")
    args = ap.parse_args(argv)
    if args.smoke:
        args.sizes, args.duration = "1000", min(args.duration, 1.0)
    args.warmup = args.warmup if args.warmup is not None else (0.0 if args.smoke else 1.0)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if args.out is None and not args.smoke:
        args.out = str(scratch.REPO / "BENCHMARKS.md")
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    load_before = report.load_average()
    peer_py = None if args.no_peer else servers.peer_python(create=not args.smoke)
    if not peer_py and not args.no_peer:
        log("no Python with django (set PEER_PY, or run without --smoke to create bench/out/peer-venv): "
            "skipping the peer")
    rows, crashed = [], []
    for db in args.databases:
        for n in args.sizes:
            try:
                rows.extend(bench_one(db, n, args, peer_py))
            except Exception as error:  # report it, go on with the next database; exit 1 at the end
                traceback.print_exc()
                message = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
                crashed.append(f"{db} {n:,}: {message}")
                rows.append(row(db, n, "error", "(run failed)", "—", "", note=f"FAILED: {message[:300]}"))
    pg = scratch.server_version("postgresql") if "postgresql" in args.databases else None
    peer = None
    if peer_py:
        import subprocess

        peer = "Django " + subprocess.run([peer_py, "-c", "import django; print(django.__version__)"],
                                          capture_output=True, text=True).stdout.strip() + \
               " admin (../shared/peer), waitress 4 threads, component count column shown"
    env = report.machine(pg, peer) + (
        f"\n- load average (1/5/15 min) before the run: {load_before}, after: {report.load_average()}"
        f"\n- GET pages measured with {'wrk' if wrk.available() else 'the Python client'}; "
        "saves with the Python client (a form is read and filled per request)")
    text = render(rows, args, env)
    print(text)
    if args.out:
        report.write_section(args.out, "run", text)
        log(f"wrote {args.out}")
    log(f"done in {time.monotonic() - started:.0f}s")
    if args.strict:
        for r in rows:
            st = r["stats"] or {}
            bad = [c for c in list(st.get("statuses", {})) + list(st.get("first", {}))
                   if not isinstance(c, int) or c >= 500] + list(st.get("errors", {}))
            if r["server"] == "poser_web" and bad:
                crashed.append(f"{r['db']} {r['n']:,} {r['label']}: answered {client.status_text(st)}")
    for line in crashed:
        log(f"FAILED {line}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
