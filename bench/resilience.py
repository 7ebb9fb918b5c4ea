"""Hammer poser_web with mixed reads and writes, then check no acknowledged write was lost.

  python bench/resilience.py [--databases postgresql,sqlite] [--duration 60] [--clients 16]
                             [--kill] [--smoke] [--out BENCHMARKS.md] [--login USER:PASSWORD]

16 clients (threads, one keep-alive connection each) list, view, create, edit and
delete widgets through the app's own forms for --duration seconds; every 303 is
written to a ledger (bench/ledger.py) and checked against the database afterwards.
--kill SIGKILLs the server half-way, restarts it on the same port, and also checks
the migrations are at head and the app serves again. Exit status 1 when a check
fails (a 5xx, a lost write, a half-saved widget, ...).
"""
import argparse
import random
import signal
import sys
import threading
import time
import traceback
import uuid as uuidlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from bench import actions, client, report, scratch, seed, servers  # noqa: E402
from bench.ledger import Ledger  # noqa: E402

OPS = {"list": 35, "view": 15, "create": 20, "edit": 20, "delete": 10}
LIST_PATHS = ["/widgets?sort=description&dir=asc&per_page=50&page={page}",
              f"/widgets?q={seed.SEARCH_WORD}&page={{page}}", "/widgets?active=no&page={page}",
              "/widgets?sort=components&dir=desc&page={page}"]
MAX_COMPONENTS = 12
LOGIN_SESSIONS = 4


def log(message):
    print(f"[resilience {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Load:
    """Shared state of one load run: the server, counters, the ledger."""

    def __init__(self, server, ledger, samples, ops, deadline, cookie_for):
        self.server, self.ledger, self.samples, self.ops = server, ledger, samples, ops
        self.deadline, self.cookie_for = deadline, cookie_for
        self.lock = threading.Lock()
        self.statuses = Counter()       # (op, method, status)
        self.errors = Counter()         # (op, exception name)
        self.killed_at = self.restarted_at = None

    def record(self, op):
        def on_response(method, path, status):
            with self.lock:
                self.statuses[(op[0], method, status)] += 1
        return on_response


def client_loop(number, load):
    rnd = random.Random(number)
    http_ = client.Http(load.server.port, cookie=load.cookie_for(number), timeout=60)
    current_op = ["list"]
    http_.on_response = load.record(current_op)
    own, widget_seq = {}, 0  # uuid -> [widget number, version]
    names, weights = list(load.ops), list(load.ops.values())
    for _ in range(100_000):  # bounded; the deadline ends it first
        if time.monotonic() >= load.deadline:
            break
        op = rnd.choices(names, weights)[0]
        if op in ("edit", "delete") and not own:
            op = "create" if "create" in load.ops else "list"
        current_op[0] = op
        target = description = None
        try:
            if op == "list":
                http_.get(rnd.choice(LIST_PATHS).format(page=rnd.randint(1, 20)))
            elif op == "view":
                pool = list(own) or load.samples
                http_.get(f"/widgets/{rnd.choice(pool)}")
            elif op in ("create", "edit"):
                if op == "create":
                    widget_seq += 1
                    widget_no, version, page = widget_seq, 1, "/widgets/new"
                else:
                    target = rnd.choice(list(own))
                    widget_no, version = own[target][0], own[target][1] + 1
                    own[target][1] = version  # every attempt gets its own token, answered or not
                    page = f"/widgets/{target}/edit"
                k = rnd.randint(0, MAX_COMPONENTS)
                token = load.ledger.token(number, widget_no, version)
                description = f"{token} k={k}"
                status, headers, _, _ = _save(http_, load, op, target, page, description, rnd, k, token)
                if status == 303:
                    uuid = target or actions.uuid_from_location(headers)
                    load.ledger.ack(op, uuid, description)
                    if uuid:
                        own[uuid] = [widget_no, version]
                elif status is not None and status >= 500:
                    load.ledger.unknown(op, target, description)
            elif op == "delete":
                target = rnd.choice(list(own))
                status = _delete(http_, load, target)
                if status == 303:
                    load.ledger.ack("delete", target, None)
                    own.pop(target)
                elif status is not None and status >= 500:
                    load.ledger.unknown("delete", target, None)
        except actions.FormUnavailable as error:
            with load.lock:
                load.errors[(op, f"form unavailable: {error}")] += 1
            if target in own and "answered 404" in str(error):
                own.pop(target)  # an unacknowledged delete of it had committed after all
        except Exception as error:  # connection refused/reset (a kill), timeout
            with load.lock:
                load.errors[(op, type(error).__name__)] += 1
            http_.close()
            time.sleep(0.1)
    http_.close()


def _save(http_, load, op, target, page, description, rnd, k, token):
    """GET + POST the form; an exception after the POST was sent marks the write unknown."""
    form, post_path = actions.load_form(http_, page)
    try:
        body = actions.forms.fill(form, {"description": description, "active": rnd.random() < 0.8},
                                  {"components": actions.component_rows(k, token)}, submit="save")
    except ValueError as error:
        raise actions.FormUnavailable(str(error)) from None
    try:
        status, headers, _ = http_.post(post_path, body)
    except Exception:
        load.ledger.unknown(op, target, description)
        raise
    return status, headers, post_path, None


def _delete(http_, load, target):
    form, post_path = actions.load_form(http_, f"/widgets/{target}/delete", field_name=None)
    try:
        status, _, _ = http_.post(post_path, actions.forms.fill(form, submit="delete"))
    except Exception:
        load.ledger.unknown("delete", target, None)
        raise
    return status


def probe_ops(port, sample, cookie):
    """Which writes the app offers now: {op: None or the reason it is n/a}."""
    http_ = client.Http(port, cookie=cookie)
    reasons = {}
    try:
        for op, page, field_name in (("create", "/widgets/new", "description"),
                                     ("edit", f"/widgets/{sample}/edit", "description"),
                                     ("delete", f"/widgets/{sample}/delete", None)):
            try:
                form, _ = actions.load_form(http_, page, field_name)
                if op != "delete":
                    actions.forms.fill(form, {}, {"components": actions.component_rows(3, "probe")})
                reasons[op] = None
            except (actions.FormUnavailable, ValueError) as error:
                reasons[op] = str(error)
    finally:
        http_.close()
    return reasons


class RssMonitor(threading.Thread):
    def __init__(self, load):
        super().__init__(daemon=True)
        self.load, self.peak, self.stop = load, 0, threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            rss = self.load.server.rss_kb()
            if rss:
                self.peak = max(self.peak, rss)


def migrations_at_head(url, ini):
    """`poser db INI` on the database: (exit status 0, its last line)."""
    done = scratch.poser_cli(["db", ini], url)
    return done.returncode == 0, (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]


def run_one(db, args):
    s = scratch.Scratch(db, f"res{db[:2]}")
    result = {"db": db, "mode": "kill" if args.kill else "load"}
    server = None
    try:
        scratch.migrate(s.url)
        if args.login:
            scratch.add_login_user(s.url, args.login, args.ini)
        counts = seed.seed(s.url, args.seed)
        server = servers.start_poser(s.url, ini=args.ini)
        result["logs"] = [server.log]
        # A few sessions, logged in (in parallel) before the clock starts: password hashing is
        # slow on purpose. Client i uses session i % LOGIN_SESSIONS.
        cookies = []
        if args.login:
            t = time.monotonic()
            with ThreadPoolExecutor(LOGIN_SESSIONS) as pool:
                cookies = list(pool.map(lambda _: client.login(server.port, args.login), range(LOGIN_SESSIONS)))
            log(f"{db}: {len(cookies)} logins in {time.monotonic() - t:.1f}s")

        def cookie_for(number):
            return cookies[number % len(cookies)] if cookies else None

        samples = counts["samples"]
        reasons = probe_ops(server.port, samples[0], cookie_for(-1))
        ops = {op: w for op, w in OPS.items() if reasons.get(op) is None}
        result["writes"] = reasons
        for page in ("/widgets", f"/widgets/{samples[0]}"):  # warm templates before RSS is read
            client.Http(server.port, cookie=cookie_for(-1)).get(page)
        result["rss_start"] = server.rss_kb()
        ledger = Ledger(uuidlib.uuid4().hex[:6])
        started = time.monotonic()
        load = Load(server, ledger, samples, ops, started + args.duration, cookie_for)
        monitor = RssMonitor(load)
        monitor.start()
        threads = [threading.Thread(target=client_loop, args=(i, load), daemon=True) for i in range(args.clients)]
        for t in threads:
            t.start()
        log(f"{db}: {args.clients} clients for {args.duration:g}s, ops {sorted(ops)}")
        if args.kill:
            time.sleep(args.duration / 2)
            result["rss_before_kill"] = load.server.rss_kb()
            result["rss_peak_before_kill"] = monitor.peak
            load.killed_at = time.monotonic()
            load.server.stop(signal.SIGKILL)
            log(f"{db}: SIGKILLed the server (pid {load.server.pid}); restarting on port {load.server.port}")
            server = load.server = servers.start_poser(s.url, ini=args.ini, port=load.server.port)
            load.restarted_at = time.monotonic()
            result["logs"].append(server.log)
            result["downtime_s"] = load.restarted_at - load.killed_at
            monitor.peak = 0
            result["rss_start_after_restart"] = server.rss_kb()
        for t in threads:
            t.join(max(0.0, load.deadline - time.monotonic()) + 120)
        result["elapsed"] = time.monotonic() - started
        monitor.stop.set()
        result["rss_end"], result["rss_peak"] = server.rss_kb(), monitor.peak
        http_ = client.Http(server.port, cookie=cookie_for(-1))
        result["serves_after"] = http_.get("/widgets")[0]
        http_.close()
        server.stop()
        server = None
        result["at_head"], result["migration_status"] = migrations_at_head(s.url, args.ini)
        result["statuses"], result["errors"] = load.statuses, load.errors
        result["acks"] = dict(ledger.counts)
        result["verify"] = ledger.verify(s.url)
    finally:
        if server:
            server.stop()
        if not args.keep:
            s.drop()
    return result


def failures(r):
    out = []
    five = sum(n for (_, _, status), n in r["statuses"].items() if status >= 500)
    if five:
        out.append(f"{five} responses were 5xx")
    dropped = sum(n for (_, name), n in r["errors"].items() if not name.startswith("form unavailable"))
    if dropped and r["mode"] != "kill":
        out.append(f"{dropped} requests failed without an answer (refused, reset or timed out)")
    if r["verify"]["lost"]:
        out.append(f"{len(r['verify']['lost'])} acknowledged writes lost")
    if r["verify"]["inconsistent"]:
        out.append(f"{len(r['verify']['inconsistent'])} widgets with a partial component set")
    if not r["at_head"]:
        out.append("migrations not at head: " + r["migration_status"][0])
    if r["serves_after"] != 200:
        out.append(f"GET /widgets answered {r['serves_after']} afterwards")
    return out


def mb(kb):
    return f"{kb / 1024:.0f}" if kb else "n/a"


def render(results, args):
    kill = " --kill" if args.kill else ""
    out = [f"## Resilience{' with SIGKILL' if args.kill else ''} (`bench/resilience.py{kill}`)",
           "", report.machine(scratch.server_version("postgresql") if any(
               r["db"] == "postgresql" for r in results) else None), "",
           f"- {args.clients} clients, {args.duration:g} s, mix {OPS} (list/view GET; create/edit/delete via the "
           f"app's forms, 0–{MAX_COMPONENTS} components each), waitress 4 threads, `{args.ini}`, "
           f"{args.seed:,} seeded widgets", ""]
    rows = []
    for r in results:
        total = sum(r["statuses"].values())
        five = sum(n for (_, _, st), n in r["statuses"].items() if st >= 500)
        conn = sum(n for (_, name), n in r["errors"].items() if not name.startswith("form unavailable"))
        acks = r["acks"]
        rss = f"{mb(r['rss_start'])} → {mb(r['rss_end'])} (peak {mb(r['rss_peak'])})"
        if args.kill:
            rss = (f"{mb(r['rss_start'])} → {mb(r.get('rss_before_kill'))} killed; restarted "
                   f"{mb(r.get('rss_start_after_restart'))} → {mb(r['rss_end'])}")
        rows.append([r["db"], f"{total:,}", f"{total / r['elapsed']:.0f}", five, conn,
                     acks.get("create", 0), acks.get("edit", 0), acks.get("delete", 0),
                     len(r["verify"]["lost"]), len(r["verify"]["inconsistent"]),
                     "yes" if r["at_head"] else "NO", r["serves_after"], rss,
                     "; ".join(failures(r)) or "ok"])
    out.append(report.table(["database", "requests", "req/s", "5xx", "connection errors", "creates acked",
                             "edits acked", "deletes acked", "lost", "partial sets", "migrations at head",
                             "GET /widgets after", "server RSS MB", "verdict"], rows))
    notes = []
    for r in results:
        for op, reason in r["writes"].items():
            if reason:
                notes.append(f"- {r['db']}: {op} n/a: {reason}")
        if args.kill:
            notes.append(f"- {r['db']}: server down {r.get('downtime_s', 0):.1f} s after SIGKILL; "
                         f"{r['verify']['unacknowledged_but_committed']} unacknowledged creates were found committed")
        statuses = Counter()
        for (op, method, status), n in r["statuses"].items():
            statuses[f"{op} {method} {status}"] += n
        notes.append(f"- {r['db']} answers: " + ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items())))
        for (op, name), n in sorted(r["errors"].items()):
            notes.append(f"- {r['db']} {op}: {name} ×{n}")
        if any(status >= 500 for (_, _, status) in r["statuses"]):
            for log_path in r["logs"]:
                errors = "; ".join(servers.log_errors(log_path)) or "no exception logged"
                notes.append(f"- {r['db']} 5xx, server log {Path(log_path).relative_to(scratch.REPO)}: {errors}")
        for line in (r["verify"]["lost"] + r["verify"]["inconsistent"])[:10]:
            notes.append(f"- {r['db']}: {line}")
    return "\n".join(out + [""] + notes) + "\n"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="mixed load, SIGKILL, and a check of every acknowledged write")
    ap.add_argument("--databases", default="postgresql")
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1000, help="widgets seeded before the load")
    ap.add_argument("--kill", action="store_true", help="SIGKILL the server half-way and restart it")
    ap.add_argument("--smoke", action="store_true", help="a few seconds; writes nothing unless --out")
    ap.add_argument("--out", default=None, help="markdown file (default BENCHMARKS.md at the repo root)")
    ap.add_argument("--ini", default="development.ini")
    ap.add_argument("--login", default=None, metavar="USER:PASSWORD")
    ap.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = ap.parse_args(argv)
    if args.smoke:
        args.duration, args.seed = min(args.duration, 5.0), min(args.seed, 200)
    if args.out is None and not args.smoke:
        args.out = str(scratch.REPO / "BENCHMARKS.md")
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    return args


def main(argv=None):
    args = parse_args(argv)
    results, crashed = [], []
    for db in args.databases:
        try:
            results.append(run_one(db, args))
        except Exception as error:  # report it, go on with the next database; exit 1 at the end
            traceback.print_exc()
            crashed.append(f"{db}: {type(error).__name__}: {(str(error).strip().splitlines() or [''])[0][:300]}")
    text = render(results, args) + "".join(f"- FAILED {line}\n" for line in crashed)
    print(text)
    if args.out:
        report.write_section(args.out, "resilience-kill" if args.kill else "resilience", text)
        log(f"wrote {args.out}")
    bad = [f"{r['db']}: {f}" for r in results for f in failures(r)] + crashed
    for line in bad:
        log(f"FAILED {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
