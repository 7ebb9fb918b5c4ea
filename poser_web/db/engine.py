"""The engine and the per-request session (pyramid_tm + zope.sqlalchemy)."""
from weakref import WeakKeyDictionary

from pyramid.settings import asbool
from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import Session, sessionmaker
from zope.sqlalchemy.datamanager import STATUS_CHANGED, ZopeTransactionEvents

from . import liveness, sqlite_writers
from .search import prepare_sqlite as prepare_sqlite_search

# How long a SQLite writer waits for another to finish before failing.
SQLITE_BUSY_TIMEOUT_MS = 15000
# Execution option marking a connection that will write (see _prepare_sqlite).
WRITE_OPTION = "poser_write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _prepare_sqlite(engine):
    """Real transactions on SQLite: enforced FKs, waiting writers, SAVEPOINTs.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT;
    SQLAlchemy's documented recipe takes it over.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Readers never block the writer (and vice versa) in WAL mode.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A writing request takes the write lock up front, so two writers queue
        # instead of deadlocking when both try to upgrade (in this process on
        # sqlite_writers' lock, then on busy_timeout for other processes).
        if connection.get_execution_options().get(WRITE_OPTION):
            # On the cursor, through the connection (cursor events see it, a busy database is
            # SQLAlchemy's OperationalError: the 503 page) without exec_driver_sql's execution
            # context and result, which every saving request paid for.
            cursor = connection.connection.cursor()
            try:
                connection._cursor_execute(cursor, "BEGIN IMMEDIATE", ())
            finally:
                cursor.close()
        else:
            # A deferred BEGIN takes no lock and cannot be busy: straight to the driver,
            # without the statement machinery every page would pay for (a list reads 3 rows' worth).
            connection.connection.driver_connection.execute("BEGIN")


def get_engine(settings, prefix="sqlalchemy."):
    options = {}
    if str(settings.get(prefix + "url", "")).startswith("sqlite"):
        # The connection used last goes out first. Each SQLite connection keeps its own page
        # cache, emptied when another connection writes; handed out in turn (the pool's
        # default), every request re-read its pages from the file. Requests one after the
        # other now share one warm connection; four saving at once still re-read (strace,
        # bench/cycle.py: 55 reads a save cycle against 70).
        # (The ini may say otherwise; SQLAlchemy would take its "false" for a true string.)
        options["pool_use_lifo"] = asbool(settings.get(prefix + "pool_use_lifo", True))
    engine = engine_from_config(settings, prefix, **options)
    liveness.install(engine, settings, prefix)
    if engine.dialect.name == "sqlite":
        # First: its "begin" listener takes the lock before _prepare_sqlite's BEGIN IMMEDIATE.
        sqlite_writers.install(engine, WRITE_OPTION, SQLITE_BUSY_TIMEOUT_MS / 1000)
        _prepare_sqlite(engine)
        prepare_sqlite_search(engine)
    return engine


# Where a request's session keeps its zope.sqlalchemy hooks (see TmSession).
TM_EVENTS = "poser.zope_tm_events"


class TmSession(Session):
    """A Session that joins the request's transaction when get_tm_session gave it a manager.

    zope.sqlalchemy.register() adds seven event listeners to each session it is given, and
    adding listeners (SQLAlchemy's event registry) was a twentieth of a list request. Here
    they are listened for once, on this class, and each passes the event to the session's own
    ZopeTransactionEvents (the very methods register() would have added); a session without
    one (pshell, a plain `session_factory()`) is not joined, as before.
    """


def _tm_events(session):
    return session.info.get(TM_EVENTS)


def _forward(name, session_of):
    def forward(*args):
        events = _tm_events(session_of(*args))
        if events is not None:
            getattr(events, name)(*args)
    event.listen(TmSession, name, forward)


for _name in ("after_begin", "after_attach", "after_flush", "before_commit"):
    _forward(_name, lambda session, *rest: session)
for _name in ("after_bulk_update", "after_bulk_delete"):
    _forward(_name, lambda context: context.session)
_forward("do_orm_execute", lambda execute_state: execute_state.session)


def get_session_factory(engine):
    return sessionmaker(bind=engine, class_=TmSession)


# A session factory: its engine with WRITE_OPTION. `execution_options()` makes a new
# OptionEngine (joining the engine's event dispatch) at each call: every POST paid for that.
# (Keyed by the factory, not the engine, which the OptionEngine holds on to.)
_WRITERS = WeakKeyDictionary()


def get_tm_session(session_factory, transaction_manager, writing=False):
    """A session joined to `transaction_manager`: it commits or aborts with it.

    Views never commit; pyramid_tm ends the transaction with the request.
    """
    options = {}
    if writing:
        bind = _WRITERS.get(session_factory)
        if bind is None:
            engine = session_factory.kw["bind"]
            bind = _WRITERS[session_factory] = engine.execution_options(**{WRITE_OPTION: True})
        options["bind"] = bind
    dbsession = session_factory(**options)
    # Every request's transaction ends with COMMIT, a reading one too (as cheap as ROLLBACK when
    # nothing was written). zope.sqlalchemy would close an unwritten session instead, and the
    # pool's ROLLBACK makes psycopg forget the statements it had prepared on the connection:
    # PostgreSQL then parsed and planned every statement of every request anew.
    dbsession.info[TM_EVENTS] = ZopeTransactionEvents(initial_state=STATUS_CHANGED,
                                                      transaction_manager=transaction_manager)
    return dbsession


def includeme(config):
    """Wire `request.dbsession` for every request."""
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    # pyramid_tm would load the user before the exception views can run, so a
    # database error there (SQLite busy) would be a bare 500 instead of the 503 page.
    settings["tm.annotate_user"] = "false"
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    engine = get_engine(settings)
    session_factory = get_session_factory(engine)
    config.registry["dbsession_factory"] = session_factory
    config.registry["db_engine"] = engine

    def dbsession(request):
        # Tests hand in their own session (rolled back after each test).
        session = request.environ.get("app.dbsession")
        if session is None:
            session = get_tm_session(session_factory, request.tm,
                                     writing=request.method not in SAFE_METHODS)
        session.info["request"] = request  # history records who saved
        return session

    config.add_request_method(dbsession, reify=True)
