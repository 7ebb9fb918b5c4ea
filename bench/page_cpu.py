"""CPU per page, in-process: the app as `pserve production.ini` builds it, called as a WSGI
server would (no HTTP, no webtest in the timed part), on a scratch database of N widgets.

    .venv/bin/python bench/page_cpu.py [--db sqlite|postgresql] [--widgets 1000] [--iterations 300]
    .venv/bin/python bench/page_cpu.py --instructions [--pages list,edit] [--iterations 20]

Pages: list (`/widgets?sort=description&dir=asc&per_page=50`), search (`q=sprocket`), edit
(GET the edit page of a widget with 3–6 components) and save (POST that form back as a browser
does, its description changed: one recorded change per save); `cycle` is edit + save.
`resave` is the edit page opened right after a save, as the save cycle opens it (it shows the
save's message); `cycle2` is resave + save. Cookies the app sets go with the next requests.

Prints process CPU ms per page (process_time around the app call only; other processes do not
count, but a busy machine still slows this one: compare figures from one run) and SQL statements
per page. `--instructions` runs each page's loop under valgrind's callgrind and prints the
instructions per page: the figure to compare before/after, whatever the machine's load.
"""
import argparse
import ctypes
import io
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import forms, scratch

PAGES = ("list", "search", "edit", "save")  # and "resave": the edit page right after a save
LIST = "/widgets?sort=description&dir=asc&per_page=50"
SEARCH = "/widgets?q=sprocket&sort=description&dir=asc&per_page=50"
HOST, SCHEME = "example.com", "https"
LOGIN = ("bench", "bench-password-1")


class Site:
    """The production app on `url`, logged in, and one widget of 3–6 components to edit."""

    def __init__(self, url):
        import webtest
        from pyramid.paster import get_app, setup_logging

        os.environ.update(POSER_DATABASE_URL=url, POSER_BASE_URL=f"{SCHEME}://{HOST}",
                          POSER_SECRET="page-cpu-" + "s" * 40,
                          POSER_BATCH_DIR=tempfile.mkdtemp(prefix="page_cpu_"))
        ini = str(scratch.REPO / "production.ini")
        # The request log as the ini has it, formatted and written nowhere (open for good).
        saved, sys.stderr = sys.stderr, open(os.devnull, "w")  # noqa: SIM115
        try:
            setup_logging(ini)
        finally:
            sys.stderr = saved
        self.app = get_app(ini, "main")
        client = webtest.TestApp(self.app, extra_environ={"HTTP_HOST": HOST, "wsgi.url_scheme": SCHEME})
        login = client.get("/login")
        form = next(f for f in login.forms.values() if "password" in f.fields)
        form["username"], form["password"] = LOGIN
        assert form.submit().status_int == 303, "login failed"
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookiejar)
        self.widget = self._widget()
        self.saves = 0
        self.trampoline = None  # under callgrind: see Trampoline

    def _widget(self):
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        from poser_web.tables.widgets.models import Component, Widget

        counts = (select(Component.widget_uuid).group_by(Component.widget_uuid)
                  .having(func.count().between(3, 6)).limit(1))
        with Session(self.app.registry["db_engine"]) as session:
            return session.scalar(select(Widget.uuid).where(Widget.uuid.in_(counts.scalar_subquery())))

    def call(self, method, path, body=b"", measured=True):
        """(status, headers, body, CPU seconds of the app call)."""
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "SERVER_NAME": HOST, "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": HOST, "wsgi.url_scheme": SCHEME,
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            "REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": self.cookie, "HTTP_ACCEPT_ENCODING": "gzip",
            "HTTP_ACCEPT": "text/html", "HTTP_USER_AGENT": "page_cpu",
        }
        path, _, query = path.partition("?")
        environ.update(PATH_INFO=path, QUERY_STRING=query)
        if method == "POST":
            environ.update(CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH=str(len(body)),
                           HTTP_ORIGIN=f"{SCHEME}://{HOST}", HTTP_REFERER=f"{SCHEME}://{HOST}{path}")
        status = []

        def run():
            result = self.app(environ, lambda s, h, exc_info=None: status.append((s, h)))
            content = b"".join(result)
            if hasattr(result, "close"):
                result.close()
            return content

        start = time.process_time()
        content = run() if self.trampoline is None or not measured else self.trampoline(run)
        spent = time.process_time() - start
        self._keep_cookies(status[0][1])
        return status[0][0], status[0][1], content, spent

    def _keep_cookies(self, headers):
        """Cookies the response sets go with the next requests, as a browser sends them (the
        flash cookie a save sets reaches the page after it)."""
        jar = dict(part.split("=", 1) for part in self.cookie.split("; ") if "=" in part)
        for name, value in headers:
            if name.lower() == "set-cookie":
                key, _, value = value.split(";", 1)[0].partition("=")
                jar[key.strip()] = value
        self.cookie = "; ".join(f"{key}={value}" for key, value in jar.items() if value)

    def page(self, name):
        """One request of page `name`: CPU seconds (for save: the POST only)."""
        if name == "list":
            return self._ok(self.call("GET", LIST), "200")
        if name == "search":
            return self._ok(self.call("GET", SEARCH), "200")
        if name == "resave":  # the edit page right after a save, as the save cycle opens it
            edit = self.call("GET", f"/widgets/{self.widget}/edit", measured=False)
            self._ok(self.call("POST", f"/widgets/{self.widget}/edit", self.filled(edit),
                               measured=False), "303")
            return self._ok(self.call("GET", f"/widgets/{self.widget}/edit"), "200")
        edit = self.call("GET", f"/widgets/{self.widget}/edit", measured=name == "edit")
        if name == "edit":
            return self._ok(edit, "200")
        return self._ok(self.call("POST", f"/widgets/{self.widget}/edit", self.filled(edit)), "303")

    def filled(self, edit):
        """The edit form as a browser posts it back, with its description changed."""
        import gzip

        html = gzip.decompress(edit[2]).decode()
        form = forms.main_form(html)
        self.saves += 1
        fields = [(f.name, f.value) for f in form.successful()]
        first = next(i for i, (name, _) in enumerate(fields) if name == "description")
        fields[first] = ("description", f"Saved {self.saves} times")  # the widget's, not a row's
        fields.append(("save", "save"))
        return urllib.parse.urlencode(fields).encode()

    @staticmethod
    def _ok(response, status):
        if not response[0].startswith(status):
            raise SystemExit(f"expected {status}, got {response[0]}: {response[2][:300]!r}")
        return response[3]


def statements(site, name):
    """SQL statements of one request of page `name` (transaction control not counted)."""
    from sqlalchemy import event

    from bench.sqlcount import TRANSACTION_CONTROL

    engine = site.app.registry["db_engine"]
    seen = []

    def count(conn, cursor, statement, *args):
        if not TRANSACTION_CONTROL.match(statement):
            seen.append(statement)

    if name in ("save", "resave"):
        edit = site.call("GET", f"/widgets/{site.widget}/edit")
        if name == "resave":
            site.call("POST", f"/widgets/{site.widget}/edit", site.filled(edit))
        event.listen(engine, "before_cursor_execute", count)
        if name == "resave":
            site.call("GET", f"/widgets/{site.widget}/edit")
        else:
            site.call("POST", f"/widgets/{site.widget}/edit", site.filled(edit))
    else:
        event.listen(engine, "before_cursor_execute", count)
        site.page(name)
    event.remove(engine, "before_cursor_execute", count)
    return seen


def measure(site, names, iterations):
    for name in names:
        for _ in range(10):  # warm: templates compiled, caches filled
            site.page(name)
    cpu = {name: 0.0 for name in names}
    for _ in range(iterations):  # interleaved: a burst of load slows every page alike
        for name in names:
            cpu[name] += site.page(name)
    return {name: cpu[name] / iterations * 1000 for name in names}


def under_callgrind(url, names, iterations):
    """Instructions per request of each page, from one process under callgrind. Each measured app
    call runs inside a ctypes call (libc's bsearch calling it back: see Site.call); callgrind
    counts only inside ffi_call (nothing else in the app calls through ctypes) and dumps the
    counts after each, so the GET before a save and the form filling are not counted."""
    with tempfile.TemporaryDirectory() as out:
        command = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=ffi_call",
                   "--dump-after=ffi_call", f"--callgrind-out-file={out}/cg.out", sys.executable, __file__,
                   "--url", url, "--child", "--pages", ",".join(names), "--iterations", str(iterations)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(done.stderr[-2000:])
        dumps = sorted(Path(out).glob("cg.out.*"), key=lambda p: int(p.suffix[1:]))
        totals = [next(int(line.split()[1]) for line in dump.read_text().splitlines()
                       if line.startswith("summary:")) for dump in dumps]
    if len(totals) != len(names) * iterations:
        raise SystemExit(f"expected {len(names) * iterations} callgrind dumps, found {len(totals)}")
    return {name: sum(totals[i * iterations:(i + 1) * iterations]) / iterations
            for i, name in enumerate(names)}


def child(url, names, iterations):
    """Runs under callgrind: per page, warm up, then its measured requests, each in a ctypes call."""
    site = Site(url)
    for name in names:
        for _ in range(10):
            site.page(name)
        site.trampoline = Trampoline()
        for _ in range(iterations):
            site.page(name)
        site.trampoline = None


class Trampoline:
    """Calls a function from inside a C call (libc's bsearch on a one-item array calls its
    comparison back once), for callgrind to count that call alone."""

    def __init__(self):
        self.libc = ctypes.CDLL(None)
        self.libc.bsearch.restype = ctypes.c_void_p
        self.compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
        self.key, self.array = ctypes.c_int(0), (ctypes.c_int * 1)(0)

    def __call__(self, function):
        result = []
        callback = self.compare(lambda a, b: result.append(function()) or 0)
        self.libc.bsearch(ctypes.byref(self.key), self.array, 1, ctypes.sizeof(ctypes.c_int), callback)
        return result[0]


def prepared(kind, widgets):
    database = scratch.Scratch(kind, "page_cpu")
    scratch.migrate(database.url)
    from bench.seed import seed

    seed(database.url, widgets)
    scratch.add_login_user(database.url, ":".join(LOGIN), "development.ini")
    return database


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--widgets", type=int, default=1000)
    ap.add_argument("--iterations", type=int)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--instructions", action="store_true", help="instructions per page, under callgrind")
    ap.add_argument("--url", help="an already seeded database (with the bench login)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = [n for n in args.pages.split(",") if n]
    if args.child:
        return child(args.url, names, args.iterations)
    database = None if args.url else prepared(args.db, args.widgets)
    url = args.url or database.url
    try:
        if args.instructions:
            iterations = args.iterations or 20
            figures = under_callgrind(url, names, iterations)
            print(f"instructions per request (callgrind, {iterations} requests each, after 10 to warm up)")
            if "edit" in figures and "save" in figures:
                figures["cycle"] = figures["edit"] + figures["save"]
            if "resave" in figures and "save" in figures:  # the save cycle's GET follows a save
                figures["cycle2"] = figures["resave"] + figures["save"]
            for name, count in figures.items():
                print(f"  {name:7s} {count / 1e6:8.2f} M")
            return
        site = Site(url)
        figures = measure(site, names, args.iterations or 300)
        print(f"CPU ms per request ({args.iterations or 300} requests each, interleaved; "
              f"load {os.getloadavg()[0]:.2f})")
        for name, ms in figures.items():
            print(f"  {name:7s} {ms:6.2f} ms   {len(statements(site, name))} statements")
        if "edit" in figures and "save" in figures:
            print(f"  cycle   {figures['edit'] + figures['save']:6.2f} ms")
    finally:
        if database is not None and not args.keep:
            database.drop()
        elif database is not None:
            print(f"kept {url}")


if __name__ == "__main__":
    main()
