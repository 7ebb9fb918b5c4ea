"""Start and stop the two servers on loopback: poser_web (bench/serve_poser.py)
and the Django admin peer (../shared/peer/serve_django.sh), and read their RSS."""
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .client import Http
from .scratch import OUT, REPO

PEER_DIR = Path(os.environ.get("BENCH_PEER_DIR", REPO.parent / "shared" / "peer"))
PEER_VENV = OUT / "peer-venv"
LOGS = OUT / "logs"


class Server:
    def __init__(self, name, pid, port, cookie=None, proc=None, log=None):
        self.name, self.pid, self.port, self.cookie, self.proc, self.log = name, pid, port, cookie, proc, log

    def alive(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                return "\nState:\tZ" not in f.read()
        except FileNotFoundError:
            return False

    def rss_kb(self):
        """VmRSS of the server process in kB (None when it is gone)."""
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except FileNotFoundError:
            pass
        return None

    def stop(self, sig=signal.SIGTERM, wait=15.0):
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while self.alive() and time.monotonic() < deadline:
            if self.proc is not None:
                try:
                    self.proc.wait(0.1)
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.1)
        if self.alive() and sig != signal.SIGKILL:
            self.stop(signal.SIGKILL, wait)
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def tail(self, n=15):
        try:
            return "\n".join(Path(self.log).read_text(errors="replace").splitlines()[-n:])
        except (OSError, TypeError):
            return ""


def log_errors(path, limit=3):
    """The distinct exception lines ("XError: ...") in a server log, most frequent first."""
    import re
    from collections import Counter

    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except (OSError, TypeError):
        return []
    found = Counter(line.strip()[:200] for line in lines
                    if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*:", line))
    return [f"{text} (×{n})" for text, n in found.most_common(limit)]


def wait_http(port, path, timeout=60.0, cookie=None):
    """Poll until the server answers anything on `path`; returns the status."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            http_ = Http(port, cookie=cookie, timeout=10)
            status, _, _ = http_.get(path)
            http_.close()
            return status
        except OSError as error:
            last = error
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}{path} within {timeout:.0f}s ({last})")


# One secret for every server this bench process starts: a server restarted on the same database
# (resilience.py --kill) keeps its sessions, as an operator's restart does.
_SECRET = secrets.token_urlsafe(32)


def app_environment(url):
    """The environment poser_web is served with: the scratch database, and what production.ini
    requires of an operator (a secret, the site's address) when the caller's environment has none."""
    env = dict(os.environ, POSER_DATABASE_URL=url)
    env.setdefault("POSER_SECRET", _SECRET)
    env.setdefault("POSER_BASE_URL", "http://127.0.0.1")
    return env


def start_poser(url, ini="development.ini", threads=4, port=0, timeout=60.0, runners=None):
    """Serve poser_web on `url` in a subprocess (pserve-equivalent); returns a Server."""
    return spawn_poser(url, ini, threads, port, runners)(timeout)


def spawn_poser(url, ini="development.ini", threads=4, port=0, runners=None):
    """Start the poser_web subprocess; returns `ready(timeout) -> Server` (boots meanwhile).
    `runners`: serve_poser.py's --runners (None: the ini's); `N:MS` also sets --slow-request-ms."""
    LOGS.mkdir(parents=True, exist_ok=True)
    env = app_environment(url)
    log = LOGS / f"poser-{os.getpid()}-{time.monotonic_ns()}.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "serve_poser.py"), "--ini", ini,
             "--port", str(port), "--threads", str(threads)]
            + (["--runners", str(runners).split(":")[0]] if runners else [])
            + (["--slow-request-ms", str(runners).split(":")[1]] if ":" in str(runners) else []),
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True)

    def ready(timeout=60.0):
        line = proc.stdout.readline()  # "PORT n", or "" if it died
        if not line.startswith("PORT "):
            proc.wait(10)
            raise RuntimeError(f"poser_web did not start:\n{log.read_text(errors='replace')[-3000:]}")
        server = Server("poser_web", proc.pid, int(line.split()[1]), proc=proc, log=log)
        # Keep stdout drained so a chatty app can never block on a full pipe.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        try:
            wait_http(server.port, "/", timeout)
        except RuntimeError:
            server.stop()
            raise
        return server

    return ready


def peer_python(create):
    """A Python with django + waitress + psycopg: $PEER_PY, bench/out/peer-venv, or None.

    With `create`, makes bench/out/peer-venv (pip from PyPI) when neither works.
    """
    candidates = [os.environ.get("PEER_PY"), str(PEER_VENV / "bin" / "python")]
    for py in filter(None, candidates):
        if _imports(py, "django, waitress"):
            return py
    if not create:
        return None
    print("creating bench/out/peer-venv (django, waitress, psycopg[binary]) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "--quiet",
                    "django", "waitress", "psycopg[binary]"], check=True)
    return str(PEER_VENV / "bin" / "python")


def _imports(py, modules):
    try:
        return subprocess.run([py, "-c", f"import {modules}"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_peer(peer_url, py, timeout=180.0):
    """Django admin on the same database via serve_django.sh; returns a Server (with cookie)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(os.environ, PEER_PY=py, TMPDIR=str(LOGS))
    done = subprocess.run(["bash", str(PEER_DIR / "serve_django.sh"), peer_url, str(port)],
                          env=env, capture_output=True, text=True, timeout=timeout)
    words = done.stdout.split()
    if done.returncode != 0 or len(words) < 2 or not words[0].isdigit():
        raise RuntimeError(f"serve_django.sh failed ({done.returncode}): {done.stderr[-2000:]}")
    server = Server("django", int(words[0]), port, cookie=words[1], log=LOGS / f"peer-django-{port}.log")
    try:
        wait_http(port, "/admin/login/", 60)
    except RuntimeError:
        server.stop()
        raise
    return server
