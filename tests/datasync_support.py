"""Shared by the datasync tests: scratch source/target databases, a config, a test consumer."""
import threading
from pathlib import Path

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from poser_web.auth.passwords import hash_password
from poser_web.datasync import store
from poser_web.datasync.config import Settings
from poser_web.datasync.consumers import ChangeFailed, Consumer
from poser_web.datasync.entities import ENTITIES
from poser_web.db.engine import get_engine
from poser_web.models import (
    Change,
    DatasyncChange,
    DatasyncConsumer,
    DatasyncCursor,
    DatasyncParked,
    User,
)
from poser_web.tables.widgets.models import Component, Widget

RUNAS = "sync"


def reset(engine, runas=RUNAS):
    """Empty every table the datasync tests write; add the runas user."""
    with Session(engine) as session:
        for model in (Component, Widget, Change, DatasyncChange, DatasyncParked, DatasyncConsumer,
                      DatasyncCursor):
            session.execute(delete(model))
        session.execute(text("DELETE FROM poser_user_role"))
        session.execute(delete(User))
        session.add(User(username=runas, password_hash=hash_password("x" * 16)))
        session.commit()


def snapshot(engine):
    """Every widget with its components, as consumers ship them."""
    with engine.connect() as connection:
        keys = list(connection.scalars(select(Widget.uuid)))
        return ENTITIES["widget"].load(connection, keys)


def change_count(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(DatasyncChange))


def last_change(engine):
    with engine.connect() as connection:
        return store.last_change_id(connection)


def datasync_history(engine):
    """(change id noted in the summary, widget uuid) of every history entry datasync wrote."""
    with engine.connect() as connection:
        rows = connection.execute(select(Change.summary, Change.entity_uuid)
                                  .where(Change.source == "datasync")).all()
    return rows


def settings_for(source_url, consumers, **numbers):
    settings = Settings(app={"sqlalchemy.url": source_url}, consumers=consumers,
                        poll_interval=0.1, backoff_base=0.05, backoff_max=0.3)
    for name, value in numbers.items():
        setattr(settings, name, value)
    return settings


def write_config(path, source_url, consumers, **numbers):
    lines = ["[app:main]", "use = egg:poser-web", f"sqlalchemy.url = {source_url}",
             "poser.secret = development-only-secret", "poser.development = true", "",
             "[datasync]", f"consumers = {' '.join(consumers)}"]
    lines += [f"{k} = {v}" for k, v in numbers.items()]
    for name, options in consumers.items():
        lines += ["", f"[datasync:{name}]"] + [f"{k} = {v}" for k, v in options.items()]
    Path(path).write_text("\n".join(lines) + "\n")
    return str(path)


def writer(engine):
    """A session that takes SQLite's write lock up front, as the app's writers do."""
    return Session(engine.execution_options(poser_write=True))


def add_widgets(engine, count, prefix="w", components=2):
    with writer(engine) as session:
        widgets = []
        for i in range(count):
            widget = Widget(description=f"{prefix}{i}")
            widget.components = [Component(item_code=f"{i}-{j}", description="c")
                                 for j in range(components)]
            widgets.append(widget)
        session.add_all(widgets)
        session.commit()
        return [w.uuid for w in widgets]


class RecordingConsumer(Consumer):
    """A custom consumer (tests.datasync_support:RecordingConsumer): keeps what it is given;
    fails every change of a widget whose description starts with FAIL."""
    kind = "recording"
    received = []

    def apply(self, changes, cursor):
        for change in changes:
            if change.record and change.record["description"].startswith("FAIL"):
                raise ChangeFailed(change, "description starts with FAIL")
        type(self).received.extend((c.id, c.key, c.record and c.record["description"])
                                   for c in changes)


def run_in_thread(daemon):
    thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False}, daemon=True)
    thread.start()
    return thread
