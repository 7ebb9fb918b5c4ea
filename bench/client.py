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
        self.on_response = None

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

        Redirects are not followed. For GET/HEAD a dropped keep-alive connection
        is retried once on a new connection (never a POST: it may have been
        applied); other connection errors propagate (OSError, HTTPException).
        `self.on_response(method, path, status)` is called when set.
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
                if attempt == 2 or method not in ("GET", "HEAD"):
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
            if self.on_response is not None:
                self.on_response(method, path, response.status)
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


def login_form(html, credentials):
    """(action, [(name, value)]) of the page's login form filled with USER:PASSWORD."""
    from .forms import parse_forms  # local import: forms is only needed here

    user, _, password = credentials.partition(":")
    forms = [f for f in parse_forms(html) if any(fl.type == "password" for fl in f.fields)]
    if not forms:
        raise RuntimeError("no form with a password input on the login page")
    values = []
    for field in forms[0].successful():
        if field.type == "password":
            values.append((field.name, password))
        elif field.name.lower() in USER_FIELD_NAMES:
            values.append((field.name, user))
        else:
            values.append((field.name, field.value))
    return forms[0].action, values


def login(port, credentials, path="/login"):
    http_ = Http(port)
    status, _, body = http_.get(path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    action, values = login_form(body.decode("utf-8", "replace"), credentials)
    target = urllib.parse.urlsplit(urllib.parse.urljoin(path, action or path))
    status, headers, _ = http_.post(target.path or path, values)
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
    `timeout`). Each connection's first request (its status is kept apart in
    "first") and those ending in the first `warmup` seconds are not counted.
    """
    if isinstance(work, str):
        path = work

        def work(http_, _path=path):
            start = time.perf_counter()
            status, _, _ = http_.get(_path)
            return status, time.perf_counter() - start

    results, lock = [], threading.Lock()
    statuses, errors, first = Counter(), Counter(), Counter()
    clock = {}
    # Bound the loop by count too (a pathological fast path cannot spin forever).
    max_requests = 1_000_000

    def start_clock():
        clock["start"] = time.perf_counter() + warmup
        clock["deadline"] = clock["start"] + duration

    # Every connection first does one uncounted request (a cold first page may
    # compile templates for seconds), then the clock starts for all at once.
    barrier = threading.Barrier(connections, action=start_clock, timeout=timeout + 10)

    def worker():
        http_ = Http(port, cookie=cookie, timeout=timeout)
        done = 0
        try:
            try:
                status, _ = work(http_)
                with lock:
                    first[status] += 1
            except Exception as error:
                with lock:
                    first[type(error).__name__] += 1
                http_.close()
            barrier.wait()
            start_at, deadline = clock["start"], clock["deadline"]
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
                finished = time.perf_counter()
                # Counted when it ends after the warm-up: a page slower than warm-up + duration
                # still yields its requests instead of none.
                if finished >= start_at:
                    with lock:
                        results.append((now, finished, seconds))
                        statuses[status] += 1
        except threading.BrokenBarrierError:
            with lock:
                errors["first request timed out"] += 1
        finally:
            http_.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(2 * timeout + warmup + duration + 20)
    latencies = sorted(s for _, _, s in results)
    # Throughput over the span from the first counted request's start to the last one's end.
    begin = min((b for b, _, _ in results), default=0.0)
    end = max((e for _, e, _ in results), default=0.0)
    elapsed = max(end - begin, 1e-9)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed if latencies else 0.0,
        "median_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p95_ms": percentile(latencies, 0.95) * 1000 if latencies else None,
        "statuses": dict(statuses),
        "errors": dict(errors),
        "first": dict(first),  # each connection's uncounted first request
    }


def status_text(stats):
    """'200', '302×12', '200×40 500×2', 'timeout×4' — what the server answered."""
    parts = []
    statuses = stats.get("statuses", {})
    if len(statuses) == 1 and not stats.get("errors"):
        parts.append(str(next(iter(statuses))))
    else:
        parts += [f"{code}×{n}" for code, n in sorted(statuses.items(), key=lambda item: str(item[0]))]
    parts += [f"{name}×{n}" for name, n in sorted(stats.get("errors", {}).items())]
    odd_first = {k: n for k, n in stats.get("first", {}).items() if k not in statuses}
    if odd_first:
        parts.append("(first requests: " + " ".join(f"{k}×{n}" for k, n in sorted(
            odd_first.items(), key=lambda item: str(item[0]))) + ")")
    return " ".join(parts) or "no answer"
