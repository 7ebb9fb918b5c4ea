"""Fixtures: one migrated database per run, each test in a rolled-back transaction.

Choose the database with `--db sqlite` (default) or `--db postgresql`
(server from POSER_TEST_PG_URL; a missing server fails the run, never skips).
"""
import os

import pytest
import transaction
import webtest
from sqlalchemy.orm import Session

from poser_web import main
from poser_web.datasync.migration import capture_declared
from poser_web.db.engine import get_engine
from tests.databases import ScratchDatabases
from tests.sample.models import SampleBase


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("POSER_TEST_DB", "sqlite"),
        help="database the tests run against",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "only_db(kind): run this test on that database only (deselected on the other)")


# Every test has a time limit (pytest-timeout): a hang fails with a traceback instead of
# stalling the run. Generous for a loaded machine; tests that start processes, browsers or
# brokers get more. A test may set its own with @pytest.mark.timeout(N).
TIME_LIMIT = 60
SLOW_TIME_LIMIT = 300
SLOW_PLACES = ("tests/browser/", "tests/datasync/", "tests/cli/test_scaffold.py",
               "tests/db/test_autogenerate.py", "tests/db/test_migrations.py")


def pytest_collection_modifyitems(config, items):
    """Tests about one database's own behaviour are deselected on the other, never skipped:
    a skip in this suite means a test could not run, which CI treats as a failure. Every
    kept test gets its time limit."""
    kind = config.getoption("--db")
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("only_db")
        (dropped if marker and marker.args[0] != kind else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    for item in items:
        if item.get_closest_marker("timeout") is None:
            slow = item.nodeid.startswith(SLOW_PLACES)
            item.add_marker(pytest.mark.timeout(SLOW_TIME_LIMIT if slow else TIME_LIMIT))


def pytest_report_header(config):
    return f"poser_web database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_kind(request):
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def scratch_databases(db_kind, tmp_path_factory):
    databases = ScratchDatabases(db_kind, tmp_path_factory.mktemp("db"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def database_url(scratch_databases):
    """The run's database, built once by `alembic upgrade heads` (never create_all), or copied
    from POSER_TEST_SQLITE_TEMPLATE (tests/databases.py) that mutation/run.py builds so."""
    return scratch_databases.create_migrated()


@pytest.fixture(scope="session")
def engine(database_url):
    engine = get_engine({"sqlalchemy.url": database_url})
    # The test-only tables of every column type (tests/sample), beside the migrated ones,
    # with the change capture their migration would make.
    SampleBase.metadata.create_all(engine)
    with engine.begin() as connection:
        capture_declared(connection, SampleBase.metadata)
    yield engine
    engine.dispose()


@pytest.fixture
def dbsession(engine):
    """A session inside an outer transaction that is rolled back after the test.

    `commit()` in a test only releases a SAVEPOINT, so tests never see each
    other's rows.
    """
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture(scope="session")
def app_settings(database_url, tmp_path_factory):
    return {"sqlalchemy.url": database_url, "poser.secret": "test-secret-" + "x" * 32,
            "poser.includes": "tests.sample.views",
            # The test clients name example.com (webtest: localhost; the browser tests: 127.0.0.1).
            "poser.allowed_hosts": "example.com localhost 127.0.0.1",
            "poser.batch_dir": str(tmp_path_factory.mktemp("batch-files"))}


@pytest.fixture(scope="session")
def app(app_settings):
    app = main({}, **app_settings)
    yield app
    app.registry["db_engine"].dispose()  # before the scratch database is dropped


@pytest.fixture
def tm():
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    manager.doom()  # the app must never commit the test's transaction
    yield manager
    manager.abort()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """argon2 at its cheapest: tests log in hundreds of times."""
    from argon2 import PasswordHasher

    from poser_web.auth import passwords

    original = passwords.hasher
    passwords.hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    passwords.hasher = original


@pytest.fixture
def anonymous_app(app, tm, dbsession):
    """A browser-like client that has not logged in."""
    return webtest.TestApp(
        app,
        extra_environ={
            "HTTP_HOST": "example.com",
            "REMOTE_ADDR": "192.0.2.10",
            "tm.active": True,
            "tm.manager": tm,
            "app.dbsession": dbsession,
        },
    )


@pytest.fixture
def testapp(anonymous_app, dbsession):
    """A client logged in as an administrator (every permission)."""
    from tests.helpers import add_user, log_in

    add_user(dbsession, "admin", admin=True)
    # Following the redirect shows (and so clears) the welcome message, as a
    # browser does: tests then start from a settled session.
    log_in(anonymous_app, "admin").follow()
    return anonymous_app
