"""A small HTTP client (http.client + threads, loopback only) and the load loop.

`Http` is one keep-alive connection with a cookie jar; `measure()` runs
`connections` of them against one server for `duration` seconds and returns
throughput, latency percentiles and the status codes seen.
"""
import http.client
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from http.cookies import SimpleCookie

HOST = "127.0.0.1"


class Http:
    """One keep-alive connection to 127.0.0.1:port that remembers cookies."""

    def __init__(self, port, cookie=None, timeout=120.0):
        self.port = port
        self.timeout = timeout
        self.cookies = {}
        if cookie:
            self.add_cookie_header(cookie)
        self._conn = None

    def add_cookie_header(self, header):
        """Add cookies given as a `Cookie:` header value ("a=1; b=2")."""
        for part in header.split(";"):
            if "=" in part:
                name, value = part.strip().split("=", 1)
                self.cookies[name] = value

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, headers=None):
        """Send one request; returns (status, headers dict (lower-case), body bytes).

        Redirects are not followed. A dropped keep-alive connection is retried
        once on a new connection; other connection errors propagate (OSError).
        """
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if isinstance(body, (list, tuple)):
            body = urllib.parse.urlencode(body).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
                continue
            except Exception:
                self.close()
                raise
            for value in response.msg.get_all("Set-Cookie") or ():
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields, **kw):
        return self.request("POST", path, body=list(fields), **kw)


# --- login hook ---------------------------------------------------------------
# >>> LOGIN HOOK: adapt when poser_web grows its login form. <<<
# The app may later require a login. `login()` GETs /login, fills the form's
# user and password inputs (found by name or type), keeps every other input
# (csrf_token, hidden markers) and POSTs it. It returns the cookie header to
# send with every benchmark request, or raises if the server did not accept.
USER_FIELD_NAMES = ("login", "username", "user", "email")


def login(port, credentials, path="/login"):
    from .forms import parse_forms  # local import: forms is only needed here

    user, _, password = credentials.partition(":")
    http_ = Http(port)
    status, _, body = http_.get(path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    forms = [f for f in parse_forms(body.decode("utf-8", "replace"))
             if any(fl.type == "password" for fl in f.fields)]
    if not forms:
        raise RuntimeError(f"no form with a password input on {path}")
    form = forms[0]
    values = []
    for field in form.successful():
        if field.type == "password":
            values.append((field.name, password))
        elif field.name.lower() in USER_FIELD_NAMES:
            values.append((field.name, user))
        else:
            values.append((field.name, field.value))
    status, headers, _ = http_.post(form.action or path, values)
    if status not in (302, 303):
        raise RuntimeError(f"POST {path} answered {status}: login refused?")
    return http_.cookie_header()
# --- end of login hook --------------------------------------------------------


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def measure(port, work, duration, connections=4, cookie=None, warmup=1.0, timeout=120.0):
    """Run `work(http) -> (status, seconds)` in `connections` threads for `duration` s.

    `work` may also be a path string: a GET of it, timed end to end. Requests
    are started until the deadline; in-flight ones are awaited (each bounded by
    `timeout`). Warm-up requests (first `warmup` seconds) are not counted.
    """
    if isinstance(work, str):
        path = work

        def work(http_, _path=path):
            start = time.perf_counter()
            status, _, _ = http_.get(_path)
            return status, time.perf_counter() - start

    results, lock = [], threading.Lock()
    statuses, errors = Counter(), Counter()
    start_at = time.perf_counter() + warmup
    deadline = start_at + duration
    # Bound the loop by count too (a pathological fast path cannot spin forever).
    max_requests = 1_000_000

    def worker():
        http_ = Http(port, cookie=cookie, timeout=timeout)
        done = 0
        try:
            while done < max_requests:
                now = time.perf_counter()
                if now >= deadline:
                    break
                try:
                    status, seconds = work(http_)
                except Exception as error:  # a timeout or a dropped connection
                    if time.perf_counter() >= start_at:
                        with lock:
                            errors[type(error).__name__] += 1
                    http_.close()
                    time.sleep(0.05)
                    continue
                done += 1
                if now >= start_at:
                    with lock:
                        results.append((time.perf_counter(), seconds))
                        statuses[status] += 1
        finally:
            http_.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(warmup + duration + timeout + 10)
    latencies = sorted(s for _, s in results)
    end = max((t for t, _ in results), default=deadline)
    elapsed = max(end - start_at, 1e-9)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed if latencies else 0.0,
        "median_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p95_ms": percentile(latencies, 0.95) * 1000 if latencies else None,
        "statuses": dict(statuses),
        "errors": dict(errors),
    }


def status_text(stats):
    """'200', '302×12', '200×40 500×2', 'timeout×4' — what the server answered."""
    parts = []
    statuses = stats.get("statuses", {})
    if len(statuses) == 1 and not stats.get("errors"):
        parts.append(str(next(iter(statuses))))
    else:
        parts += [f"{code}×{n}" for code, n in sorted(statuses.items())]
    parts += [f"{name}×{n}" for name, n in sorted(stats.get("errors", {}).items())]
    return " ".join(parts) or "no answer"
