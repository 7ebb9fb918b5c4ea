"""Where a page's CPU time goes, in-process (the app under webtest, logged in, warm).

    .venv/bin/python bench/profile_page.py sqlite:////abs/seeded.sqlite [/widgets?per_page=50] \\
        [--login bench:bench-password] [--requests 200] [--top 25]

Prints the mean time per request (wall and process CPU), a breakdown by phase (the grid's SQL and its
compilation, template rendering, gzip, the rest of Pyramid) from cProfile's cumulative times, and
the functions with the most time of their own.
"""
import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import scratch  # noqa: E402

# (label, file suffix, function name): cumulative time of these, per request.
PHASES = (
    ("whole request (router)", "pyramid/router.py", "__call__"),
    ("grid: count + rows (SQL, compile, ORM)", "poser_web/grid/core.py", "page"),
    ("  statement compilation (SQLAlchemy)", "sqlalchemy/sql/compiler.py", "__init__"),
    ("  SQLite execution (cursor.execute)", "sqlalchemy/engine/default.py", "do_execute"),
    ("cells for the template (table_rows)", "poser_web/views/master_list.py", "table_rows"),
    ("template rendering (Chameleon)", "pyramid/renderers.py", "render_to_response"),
    ("gzip", "poser_web/web/compression.py", "compress"),
    ("identity (user + permissions)", "poser_web/auth/security.py", "identity"),
)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("path", nargs="?", default="/widgets?sort=description&dir=asc&per_page=50")
    ap.add_argument("--login", default="profile:profile-password-1")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--ini", default="development.ini")
    args = ap.parse_args()

    try:
        scratch.add_login_user(args.url, args.login, args.ini)
    except RuntimeError as error:
        if "exists already" not in str(error):
            raise
    os.environ["POSER_DATABASE_URL"] = args.url
    import logging

    import webtest
    from pyramid.paster import get_app

    logging.disable(logging.INFO)  # the ini's per-request logging would be profiled too
    app = get_app(str(scratch.REPO / args.ini), "main")
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1"})
    login = client.get("/login")
    form = next(f for f in login.forms.values() if "password" in f.fields)
    user, _, password = args.login.partition(":")
    form["username"], form["password"] = user, password
    form.submit()
    headers = {"Accept-Encoding": "gzip"}
    for _ in range(20):
        client.get(args.path, headers=headers)

    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.requests):
        client.get(args.path, headers=headers)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{args.path}: {wall / args.requests * 1000:.2f} ms wall, {cpu / args.requests * 1000:.2f} ms CPU "
          f"per request (webtest included, no profiler; {args.requests} requests)\n")

    profiler = cProfile.Profile(time.process_time)  # CPU time: other processes do not count
    profiler.enable()
    for _ in range(args.requests):
        client.get(args.path, headers=headers)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print("| phase (cProfile, cumulative CPU; the profiler slows calls down) | ms per request |\n|---|---|")
    for label, suffix, name in PHASES:
        total = sum(ct for (file, _, func), (_, _, _, ct, _) in stats.stats.items()
                    if file.endswith(suffix) and func == name)
        print(f"| {label} | {total / args.requests * 1000:.2f} |")
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
