"""The save cycle alone, from outside, with the server's CPU per cycle (issue 20).

  python bench/cycle.py [--db sqlite|postgresql] [--widgets 2000] [--duration 10] [--runs 1]
  python bench/cycle.py --url sqlite:////abs/seeded.sqlite      # a seeded database with `bench` login
  python bench/cycle.py --peer --runs 6 --duration 8            # rounds alternating with Django admin

bench/run.py's save cycle (GET /widgets/{uuid}/edit, POST it back with a new description and
its ~3 components, timed whole; 4 connections, each its own widget) against poser_web served
as bench/run.py serves it (production.ini or --ini, waitress, 4 threads), without the peer. Prints
cycles/s, median and p95, the server process's CPU seconds (user + system, /proc) and its
threads' context switches per cycle: on a shared 2-core machine the CPU per cycle moves less
than the throughput.

With --peer, Django admin (../shared/peer) serves the same database beside it and each run is
a round of both, poser_web first: one run's ratio moves by up to 10 % on a noisy VM, so the
median of several alternating rounds is the figure to report.
"""
import argparse
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from bench import client, report, scratch, seed, servers
from bench.run import CONNECTIONS, PEER_EDIT, POSER_EDIT, cycle_work

LOGIN = "bench:bench-cycle-password"


def cpu_seconds(pid):
    """User + system CPU seconds of process `pid` (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def context_switches(pid):
    """Voluntary + involuntary context switches of process `pid`'s threads so far (/proc).
    Threads that ended are not counted: waitress keeps its threads for the server's life."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except FileNotFoundError:
            pass
    return total


def prepare(db, widgets):
    """A scratch database: migrated, the bench login, seeded; returns (Scratch, samples)."""
    s = scratch.Scratch(db, f"cy{widgets}")
    scratch.migrate(s.url)
    scratch.add_login_user(s.url, LOGIN, "production.ini")
    counts = seed.seed(s.url, widgets)
    return s, counts["samples"][:CONNECTIONS]


def samples_of(url):
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(text(
            "SELECT uuid FROM poser_widget ORDER BY uuid LIMIT :n"), {"n": CONNECTIONS}).scalars().all()
    engine.dispose()
    return found


def run(url, samples, duration, runs, threads, connections=CONNECTIONS, ini="production.ini",
        runners=None):
    server = servers.start_poser(url, ini=ini, threads=threads, runners=runners)
    try:
        cookie = client.login(server.port, LOGIN)
        work = cycle_work(samples, POSER_EDIT, "save")
        client.measure(server.port, work, 2, connections, cookie=cookie, warmup=0.5)  # warm
        for _ in range(runs):
            before, client_before = cpu_seconds(server.pid), time.process_time()
            switches_before = context_switches(server.pid)
            stats = client.measure(server.port, work, duration, connections, cookie=cookie, warmup=0)
            used = cpu_seconds(server.pid) - before
            client_used = time.process_time() - client_before
            switches = context_switches(server.pid) - switches_before
            cycles = stats["requests"]
            print(f"{stats['rps']:.1f} cycles/s  median {stats['median_ms']:.0f} ms  "
                  f"p95 {stats['p95_ms']:.0f} ms  server CPU {1000 * used / max(cycles, 1):.1f} ms/cycle "
                  f"({used:.1f} s for {cycles}), {switches / max(cycles, 1):.0f} switches/cycle, "
                  f"client {1000 * client_used / max(cycles, 1):.1f} ms/cycle  "
                  f"load {os.getloadavg()[0]:.2f}  {client.status_text(stats)}", flush=True)
    finally:
        server.stop()


def run_with_peer(url, peer_url, samples, duration, runs, threads, connections, ini, runners=None):
    """Rounds of poser_web then the peer, the same widgets and connections; prints each round's
    cycles/s and ratio, then the medians."""
    import statistics

    peer_py = servers.peer_python(create=True)
    if not peer_py:
        raise SystemExit("no Python with django for the peer (set PEER_PY)")
    server = servers.start_poser(url, ini=ini, threads=threads, runners=runners)
    peer = None
    try:
        peer = servers.start_peer(peer_url, peer_py)
        cookie = client.login(server.port, LOGIN)
        sides = (("poser_web", server.port, cookie, cycle_work(samples, POSER_EDIT, "save")),
                 ("django", peer.port, peer.cookie, cycle_work(samples, PEER_EDIT, "_save")))
        for _, port, side_cookie, work in sides:  # warm both
            client.measure(port, work, 2, connections, cookie=side_cookie, warmup=0.5)
        print(f"Python speed {report.python_speed_ms():.1f} ms (bench/report.py), load average "
              f"{report.load_average()} before", flush=True)
        ratios, rates = [], {"poser_web": [], "django": []}
        for number in range(1, runs + 1):
            round_rates = {}
            for name, port, side_cookie, work in sides:
                stats = client.measure(port, work, duration, connections, cookie=side_cookie, warmup=0)
                round_rates[name] = stats["rps"]
                rates[name].append(stats["rps"])
                print(f"round {number}: {name:9s} {stats['rps']:6.1f} cycles/s  median "
                      f"{stats['median_ms']:.0f} ms  load {os.getloadavg()[0]:.2f}  "
                      f"{client.status_text(stats)}", flush=True)
            ratios.append(round_rates["poser_web"] / max(round_rates["django"], 1e-9))
            print(f"round {number}: ratio {ratios[-1]:.2f}x", flush=True)
        print(f"median of {runs} rounds: poser_web {statistics.median(rates['poser_web']):.1f}, "
              f"django {statistics.median(rates['django']):.1f} cycles/s; ratio median "
              f"{statistics.median(ratios):.2f}x (min {min(ratios):.2f}x, max {max(ratios):.2f}x); "
              f"load average {report.load_average()} after")
    finally:
        for side in (peer, server):
            if side is not None:
                side.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"))
    ap.add_argument("--widgets", type=int, default=2000)
    ap.add_argument("--url", help="a migrated, seeded database with the bench login (kept)")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=4, help="the server's")
    ap.add_argument("--runners", help="the server's runners (auto, N, or waitress for waitress's "
                    "own dispatcher); default: the ini's")
    ap.add_argument("--connections", type=int, default=CONNECTIONS)
    ap.add_argument("--ini", default="production.ini",
                    help="the app's ini (e.g. a copy of production.ini with one setting changed)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database (prints its URL)")
    ap.add_argument("--peer", action="store_true",
                    help="alternate rounds with Django admin on the same (scratch) database")
    args = ap.parse_args()
    if args.peer and args.url:
        ap.error("--peer seeds its own scratch database (the peer needs its URL): leave out --url")
    made = None
    if args.url:
        url, samples = args.url, samples_of(args.url)
    else:
        started = time.monotonic()
        made, samples = prepare(args.db, args.widgets)
        url = made.url
        print(f"{args.db}: {args.widgets:,} widgets in {time.monotonic() - started:.0f} s ({url})",
              flush=True)
    try:
        if args.peer:
            run_with_peer(url, made.peer_url, samples, args.duration, args.runs, args.threads,
                          args.connections, args.ini, args.runners)
        else:
            run(url, samples, args.duration, args.runs, args.threads, args.connections, args.ini,
                args.runners)
    finally:
        if made is not None and not args.keep:
            made.drop()


if __name__ == "__main__":
    main()
