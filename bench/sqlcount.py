"""SQL statements per page, counted in-process: the app from development.ini under
webtest, a `before_cursor_execute` listener on every SQLAlchemy Engine.

Transaction control (BEGIN, COMMIT, SAVEPOINT, ...) is not counted: the app
sends BEGIN itself on SQLite while psycopg sends it implicitly on PostgreSQL.
"""
import os
import re
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .scratch import REPO


TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|END)\b", re.I)


class StatementCounter:
    def __init__(self):
        self.count = 0
        self.statements = []
        self._lock = threading.Lock()

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if TRANSACTION_CONTROL.match(statement):
            return
        with self._lock:
            self.count += 1
            self.statements.append(statement)

    def reset(self):
        with self._lock:
            self.count = 0
            self.statements = []


def count_statements(url, paths, credentials=None, ini="development.ini", show=None):
    """{path: (status, statements)} for GETs of `paths` against the app on `url`.

    When the app raises, the entry is (exception name, None).

    credentials: USER:PASSWORD to log in with first (through the app's /login form).
    show: a callable given (path, [statements]) for each path (for --show-sql).

    Each path is requested twice and the second request is counted (the first
    may warm caches). The app reads POSER_DATABASE_URL as under pserve.
    """
    import webtest
    from pyramid.paster import get_app

    from .servers import app_environment

    saved = dict(os.environ)
    os.environ.update(app_environment(url))
    counter = StatementCounter()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        app = get_app(str(REPO / ini), "main")
        # https, so production.ini's Secure session cookie is sent back as a browser would.
        testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "https"})
        headers = {}
        if credentials:
            from .client import login_form

            action, fields = login_form(testapp.get("/login").text, credentials)
            testapp.post(action or "/login", fields, status=(302, 303))
        results = {}
        for path in paths:
            try:
                testapp.get(path, headers=headers, expect_errors=True)
                counter.reset()
                response = testapp.get(path, headers=headers, expect_errors=True)
            except Exception as error:  # the app raised instead of answering: report, go on
                results[path] = (type(error).__name__, None)
                continue
            results[path] = (response.status_int, counter.count)
            if show:
                show(path, list(counter.statements))
        engine = app.registry.get("db_engine") if hasattr(app, "registry") else None
        if engine is not None:
            engine.dispose()
        return results
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
        os.environ.clear()
        os.environ.update(saved)
