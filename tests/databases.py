"""Scratch databases for tests: a temp SQLite file, or a new PostgreSQL database."""
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent

# The PostgreSQL server tests create their scratch databases on.
PG_SERVER_URL = os.environ.get(
    "POSER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def alembic_config(database_url):
    """The repository's alembic.ini, pointed at `database_url`."""
    config = Config(str(REPO / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def migrate(database_url, revision="heads"):
    command.upgrade(alembic_config(database_url), revision)


@contextmanager
def emptied_engine(database_url, tables):
    """The app's engine on the run's database, for tests whose code commits for real: `tables`
    (models or Table objects, children first) emptied before (other tests that commit leave rows behind)
    and after. Disposed at the end."""
    from sqlalchemy import delete

    from poser_web.db.engine import get_engine

    engine = get_engine({"sqlalchemy.url": database_url})

    def empty():
        with engine.begin() as connection:
            for table in tables:
                connection.execute(delete(getattr(table, "__table__", table)))

    empty()
    try:
        yield engine
    finally:
        empty()
        engine.dispose()


@contextmanager
def new_migrated_engine(scratch_databases):
    """The app's engine on a database of its own, migrated to heads: for tests that commit
    freely or need a database the planner knows nothing of. Disposed at the end."""
    from poser_web.db.engine import get_engine

    url = scratch_databases.create()
    migrate(url)
    engine = get_engine({"sqlalchemy.url": url})
    try:
        yield engine
    finally:
        engine.dispose()


# A migrated SQLite file to copy instead of migrating again (mutation/run.py builds it once
# for hundreds of short runs of the same tests: migrating is most of a short run's set-up).
TEMPLATE = os.environ.get("POSER_TEST_SQLITE_TEMPLATE")


def build_template(path):
    """Migrate a new SQLite file at `path`, with the test-only tables (tests/sample) and
    their change capture, as the `engine` fixture would add them."""
    from poser_web.datasync.migration import capture_declared
    from tests.sample.models import SampleBase

    url = f"sqlite:///{path}"
    migrate(url)
    engine = create_engine(url)
    SampleBase.metadata.create_all(engine)
    with engine.begin() as connection:
        capture_declared(connection, SampleBase.metadata)
    engine.dispose()


class ScratchDatabases:
    """Creates databases of one kind and removes them all at the end."""

    def __init__(self, kind, tmp_dir):
        self.kind = kind
        self.tmp_dir = Path(tmp_dir)
        self.created = []

    def create(self):
        name = f"poser_test_{uuid.uuid4().hex[:12]}"
        if self.kind == "sqlite":
            url = f"sqlite:///{self.tmp_dir / (name + '.sqlite')}"
        else:
            with self._server() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
        self.created.append(name)
        return url

    def create_migrated(self):
        """A new database at the migrations' heads: a copy of TEMPLATE when one is given."""
        url = self.create()
        if self.kind == "sqlite" and TEMPLATE:
            shutil.copyfile(TEMPLATE, make_url(url).database)
        else:
            migrate(url)
        return url

    def drop_all(self):
        if self.kind != "postgresql":
            return  # temp files go with pytest's tmp dir
        with self._server() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def _server(self):
        engine = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
        return _DisposingConnection(engine)


class _DisposingConnection:
    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        self.connection = self.engine.connect()
        return self.connection

    def __exit__(self, *exc):
        self.connection.close()
        self.engine.dispose()
