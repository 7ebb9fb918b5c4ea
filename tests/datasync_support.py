"""Shared by the datasync tests: scratch source/target databases (with the test-only Specimen
tables and their capture), a config, a test consumer, and comparing two databases."""
import re
import threading
from collections import Counter
from pathlib import Path
from typing import ClassVar

from sqlalchemy import delete, func, inspect, select, text
from sqlalchemy.orm import Session

from poser_web.auth.passwords import hash_password
from poser_web.datasync import store
from poser_web.datasync.config import Settings
from poser_web.datasync.consumers import ChangeFailed, Consumer
from poser_web.datasync.declaration import declarations
from poser_web.datasync.entities import entities
from poser_web.datasync.migration import capture_declared
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
from tests.databases import migrate
from tests.sample.models import SampleBase

RUNAS = "sync"
NOTE = re.compile(r"\(datasync change (\d+)\)$")


def fresh(databases, revision="heads"):
    """A new database of `databases`' kind, migrated, with the Specimen tables and capture."""
    url = databases.create()
    migrate(url, revision)
    if revision == "heads":
        add_sample_tables(url)
    return url


def add_sample_tables(url):
    """The Specimen tables and their capture, as conftest makes them."""
    engine = get_engine({"sqlalchemy.url": url})
    SampleBase.metadata.create_all(engine)
    with engine.begin() as connection:
        capture_declared(connection, SampleBase.metadata)
    engine.dispose()


def captured_entities(engine):
    """The declared entities whose tables this database has, referenced ones first."""
    there = set(inspect(engine).get_table_names())
    return [e for e in entities(declarations()) if e.table.name in there]


def reset(engine, runas=RUNAS):
    """Empty every table the datasync tests write; add the runas user."""
    with Session(engine) as session:
        for ent in reversed(captured_entities(engine)):
            for table in reversed(ent.tables):
                session.execute(table.delete())
        for model in (Change, DatasyncChange, DatasyncParked, DatasyncConsumer, DatasyncCursor):
            session.execute(delete(model))
        session.execute(text("DELETE FROM poser_user_role"))
        session.execute(delete(User))
        session.add(User(username=runas, password_hash=hash_password("x" * 16)))
        session.commit()


def snapshot(engine, entity="widget"):
    """Every record of one entity with its child rows, as consumers ship them."""
    with engine.connect() as connection:
        ent = entities([entity])[0]
        return ent.load(connection, list(connection.scalars(select(ent.pk))))


def everything(engine):
    """{entity: snapshot} of every captured entity."""
    return {ent.name: snapshot(engine, ent.name) for ent in captured_entities(engine)}


def change_count(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(DatasyncChange))


def last_change(engine):
    with engine.connect() as connection:
        return store.last_change_id(connection)


def datasync_history(engine):
    """(summary, entity, key) of every history entry datasync wrote."""
    with engine.connect() as connection:
        return connection.execute(select(Change.summary, Change.entity, Change.entity_uuid)
                                  .where(Change.source == "datasync")).all()


def history_problems(source, target):
    """What is wrong with the target's datasync history: a change noted twice for one record,
    a note of a change the source never logged, an entry that changed nothing."""
    with source.connect() as connection:
        ids = set(connection.scalars(select(DatasyncChange.id)))
    entries = datasync_history(target)
    notes = Counter((int(NOTE.search(s).group(1)), key) for s, _, key in entries if NOTE.search(s))
    problems = [f"change {i} noted {n} times for {key}" for (i, key), n in notes.items() if n > 1]
    problems += [f"change {i} is not in the source's log" for i, _ in notes if i not in ids]
    problems += [f"{entity} {key}: {summary}" for summary, entity, key in entries
                 if summary.startswith("Saved without changes")
                 or not (NOTE.search(summary) or summary.endswith("(catch-up)"))]
    return problems


def entries_per_record(target):
    """{(entity, key): how many datasync history entries it has}."""
    return Counter((entity, key) for _, entity, key in datasync_history(target))


def settings_for(source_url, consumers, **numbers):
    settings = Settings(app={"sqlalchemy.url": source_url}, consumers=consumers,
                        poll_interval=0.1, backoff_base=0.05, backoff_max=0.3)
    for name, value in numbers.items():
        setattr(settings, name, value)
    return settings


def write_config(path, source_url, consumers, **numbers):
    lines = ["[app:main]", "use = egg:poser-web", f"sqlalchemy.url = {source_url}",
             "poser.secret = development-only-secret", "poser.development = true",
             "poser.includes = tests.sample.views", "",
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
    received: ClassVar[list] = []

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
