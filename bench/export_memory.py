"""Server memory while it streams a big list export (issue 5: CSV of 1M rows under 150 MB RSS).

  python -m bench.export_memory URL [--format csv|xlsx] [--login USER:PASSWORD]

URL names an already seeded and migrated database (e.g. one `bench/seed.py`
filled). Serves poser_web on it, downloads /widgets/export.<format> while
sampling the server's RSS every 50 ms, and prints rows, bytes, seconds and
RSS before / peak / after.
"""
import argparse
import threading
import time

from . import client, scratch, servers


def measure(url, file_format="csv", credentials="bench-export:bench-export-pw"):
    try:
        scratch.add_login_user(url, credentials)
    except RuntimeError as error:
        if "exists already" not in str(error):
            raise
    server = servers.start_poser(url)
    try:
        cookie = client.login(server.port, credentials)
        http = client.Http(server.port, cookie=cookie, timeout=3600)
        http.get("/widgets")  # warm: templates compiled, pools open
        before = server.rss_kb()
        peak = [before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], server.rss_kb() or 0)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        status, headers, body = http.get(f"/widgets/export.{file_format}")
        seconds = time.monotonic() - started
        stop.set()
        sampler.join()
        rows = body.count(b"\n") - 1 if file_format == "csv" else None
        return {"status": status, "bytes": len(body), "rows": rows, "seconds": seconds,
                "rss_before_mb": before / 1024, "rss_peak_mb": peak[0] / 1024,
                "rss_after_mb": (server.rss_kb() or 0) / 1024}
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--login", default="bench-export:bench-export-pw", metavar="USER:PASSWORD")
    args = parser.parse_args()
    result = measure(args.url, args.format, args.login)
    rows = f"{result['rows']:,} rows, " if result["rows"] is not None else ""
    print(f"export.{args.format}: HTTP {result['status']}, {rows}{result['bytes'] / 1e6:,.1f} MB "
          f"in {result['seconds']:.1f} s; server RSS before {result['rss_before_mb']:.0f} MB, "
          f"peak {result['rss_peak_mb']:.0f} MB, after {result['rss_after_mb']:.0f} MB")


if __name__ == "__main__":
    main()
