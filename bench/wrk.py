"""GET measurements with wrk (a C load generator) when it is installed.

A Python client shares the GIL-free core with the server on a 2-core machine and
tops out at a few thousand requests/s; wrk costs the server almost nothing, so a
fast page is not capped by its client. Falls back to client.measure when wrk is
absent (CI's smoke run). Returns client.measure's stats dict.
"""
import os
import re
import shutil
import subprocess
import tempfile

from . import client

# wrk's done() hook prints what client.measure reports, in one parseable line.
REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d seconds=%f p50=%f p95=%f non2xx3xx=%d errors=%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
LINE = re.compile(r"BENCH requests=(\d+) seconds=([\d.]+) p50=([\d.]+) p95=([\d.]+) "
                  r"non2xx3xx=(\d+) errors=(\d+)")


def available():
    return shutil.which("wrk") is not None and os.environ.get("BENCH_CLIENT", "wrk") == "wrk"


def measure(port, path, duration, connections=4, cookie=None, warmup=1.0, timeout=120.0):
    """GET `path` with `connections` keep-alive connections (one wrk thread each) for `duration` s.

    The status is taken from one probe request first (wrk counts only non-2xx/3xx): a
    302 to /login or a 500 shows in the report as with the Python client.
    """
    if not available():
        return client.measure(port, path, duration, connections=connections, cookie=cookie,
                              warmup=warmup, timeout=timeout)
    probe = client.Http(port, cookie=cookie, timeout=timeout)
    try:
        status, _, _ = probe.get(path)  # also compiles a cold page's templates
    finally:
        probe.close()
    url = f"http://{client.HOST}:{port}{path}"
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(REPORT_LUA)
    try:
        if warmup:
            subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(warmup))}s", *headers, url],
                           capture_output=True, timeout=warmup + timeout)
        done = subprocess.run(["wrk", f"-t{min(connections, 2)}", f"-c{connections}",
                               f"-d{max(1, round(duration))}s", f"--timeout={int(timeout)}s",
                               "-s", script.name, *headers, url],
                              capture_output=True, text=True, timeout=duration + timeout + 30)
    finally:
        os.unlink(script.name)
    found = LINE.search(done.stdout)
    if not found:
        raise RuntimeError(f"wrk printed no report: {done.stdout[-300:]} {done.stderr[-300:]}")
    requests, seconds, p50, p95, bad, errors = found.groups()
    requests, bad = int(requests), int(bad)
    statuses = {status: requests - bad} if requests - bad else {}
    if bad:
        statuses["non-2xx/3xx"] = bad
    return {"requests": requests, "rps": requests / max(float(seconds), 1e-9),
            "median_ms": float(p50), "p95_ms": float(p95), "statuses": statuses,
            "errors": {"connection errors": int(errors)} if int(errors) else {},
            "first": {status: 1}, "client": "wrk"}
