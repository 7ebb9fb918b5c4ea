"""What the browser tests and the screenshot script share.

A live server (the real app under waitress as pserve serves it, on a daemon thread), Debian's
Chromium launched through Playwright (never a downloaded browser), an
administrator to log in as, and a helper that seeds widgets with SQLAlchemy
and commits them.
"""
import os
import sys
import threading
import traceback

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from waitress import wasyncore

from poser_web import main
from poser_web.auth.passwords import hash_password
from poser_web.models import Base, LoginFailure, Role, User
from poser_web.tables.widgets.models import Component, Widget
from poser_web.web.server import make_server

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING_CHROMIUM = (
    f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
    "Run scripts/ensure-chromium (it installs the `chromium` package)."
)

# The login the browser tests share lives in these; every other table is
# emptied after each test (widgets, components, their change history, ...).
KEPT_TABLES = frozenset({
    User.__tablename__, Role.__tablename__, "poser_user_role", "poser_role_permission",
    "poser_session",  # the logged-in browser's session (removed with its user)
})

# The browser logs in as this administrator (a name no other test uses).
ADMIN_USERNAME = "browser-admin"
ADMIN_PASSWORD = "browser tests only, never deployed"


class ChromiumMissing(RuntimeError):
    pass


def launch_chromium(playwright):
    """Debian's Chromium, headless, with the arguments CI uses."""
    if not os.access(CHROMIUM, os.X_OK):
        raise ChromiumMissing(MISSING_CHROMIUM)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)


class LiveServer:
    """The app on 127.0.0.1 and a free port, served by waitress on a daemon thread."""

    def __init__(self, settings):
        self.app = main({}, **settings)
        served = self.app.registry["db_engine"].url.render_as_string(hide_password=False)
        if served != settings["sqlalchemy.url"]:
            # POSER_DATABASE_URL overrides the settings: never drive a real database.
            raise RuntimeError(f"The app would serve {served!r}, not the test database; "
                               "unset POSER_DATABASE_URL.")
        # Binds and listens right here, so the URL works before the thread runs. Served as
        # pserve serves the ini files: waitress with our dispatcher (runners by the database).
        self.server = make_server(self.app, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        server = self.server
        # Close every socket from the server's own loop thread (the trigger runs
        # its thunks there), so the loop ends on an empty map without racing us.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map, ignore_all=True))
        self.thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        self.app.registry["db_engine"].dispose()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def thread_stacks():
    """Where every thread of this process is: the live server's workers and a batch's
    background thread run here, so a test that waited in vain can say what they were doing."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(f"--- thread {names.get(ident, ident)}\n" + "".join(traceback.format_stack(frame))
                     for ident, frame in sys._current_frames().items())


def seed_widgets(engine, widgets):
    """Insert and commit widgets; return their uuids in order.

    Each widget is a dict: description, active (default True), components: a
    list of (item_code, description) or (item_code, description, active).
    """
    with Session(engine) as session, session.begin():
        made = []
        for spec in widgets:
            widget = Widget(description=spec["description"], active=spec.get("active", True))
            for item_code, description, *active in spec.get("components", ()):
                widget.components.append(Component(
                    item_code=item_code, description=description,
                    active=active[0] if active else True,
                ))
            session.add(widget)
            made.append(widget)
        session.flush()
        uuids = [widget.uuid for widget in made]
    return uuids


def tables_to_empty():
    """Every table of the models but the login's, children first (components before widgets).

    The test-only sample tables (specimens point at widgets) go first.
    """
    from tests.sample.models import SampleBase

    return [t for metadata in (SampleBase.metadata, Base.metadata)
            for t in reversed(metadata.sorted_tables) if t.name not in KEPT_TABLES]


def empty_tables(engine):
    """Delete every row a browser test could have committed."""
    with engine.begin() as connection:
        for table in tables_to_empty():
            connection.execute(delete(table))


def add_admin(engine, username=ADMIN_USERNAME, password=ADMIN_PASSWORD):
    """Commit a user whose role grants every permission."""
    with Session(engine) as session, session.begin():
        session.add(User(username=username, password_hash=hash_password(password),
                         roles=[Role(name=f"admin-{username}", grants_all=True)]))


def remove_user(engine, username=ADMIN_USERNAME):
    """Delete the user, the roles only they had, and their failed logins."""
    with Session(engine) as session, session.begin():
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is not None:
            roles = list(user.roles)
            session.delete(user)
            session.flush()
            for role in roles:
                if not role.users:
                    session.delete(role)
        session.execute(delete(LoginFailure).where(LoginFailure.username == username))


def log_in(page, username=ADMIN_USERNAME, password=ADMIN_PASSWORD):
    """Log in through the login form, as a person would."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: not url.split("?")[0].endswith("/login"))
