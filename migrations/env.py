"""Alembic environment: migrates the database the app's own ini file names.

`alembic -c development.ini` reads [app:main] of that file; plain `alembic`
(alembic.ini) follows its `poser.app_ini` option. POSER_DATABASE_URL
overrides either, as it does for the app.
"""
from alembic import context
from sqlalchemy.sql.elements import False_, True_

import poser_web.db.check_constraints  # noqa: F401 (autogenerate compares CHECK constraints)
from poser_web.db import search_migrations  # noqa: F401 (search indexes by declaration)
from poser_web.db.engine import get_engine
import poser_web.datasync.migration  # noqa: F401  op.create_datasync_capture, its autogenerate
from poser_web.db.search_index import is_search_table
from poser_web.models import ALEMBIC_VERSION_TABLE, Base
from poser_web.settings import database_url
from poser_web.tables import load_models

load_models()  # every table package's models join Base.metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)

# Tests may hand in other models (tests/db/test_autogenerate.py); the app's by default.
target_metadata = config.attributes.get("target_metadata", Base.metadata)


def app_database_url():
    if config.attributes.get("database_url"):
        return config.attributes["database_url"]
    app_ini = config.get_main_option("poser.app_ini") or config.config_file_name
    return database_url(app_ini)


def include_name(name, type_, parent_names):
    # Only tables we own: a Poser database may hold core tables too.
    if type_ == "table":
        # SQLite's FTS5 search tables (and their shadow tables) live in migrations alone.
        if is_search_table(name) and name not in target_metadata.tables:
            return False
        return name.startswith("poser_") or name in target_metadata.tables
    # PostgreSQL-only search indexes live in migrations alone (see their revision).
    if type_ == "index" and name.endswith("_trgm"):
        return False
    return True


def render_item(type_, obj, autogen_context):
    """Autogenerate writes what works on every database we support.

    `server_default=true()` compiles to `1` on SQLite, which autogenerate would
    write as `sa.text('1')` and PostgreSQL refuses for a boolean: write
    `sa.true()` / `sa.false()`, which each database compiles its own way.
    """
    if type_ == "server_default" and hasattr(obj, "arg"):
        if isinstance(obj.arg, True_):
            return "sa.true()"
        if isinstance(obj.arg, False_):
            return "sa.false()"
    return False  # alembic's own rendering


# Options shared by online and offline runs. Revisions are always written in
# batch mode, whichever database they were generated against: a revision made
# on PostgreSQL must also run on SQLite, which cannot ALTER most things (on
# PostgreSQL a batch is plain ALTER statements).
AUTOGENERATE_OPTIONS = dict(render_as_batch=True, render_item=render_item)


def run_migrations_offline():
    context.configure(
        url=app_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        **AUTOGENERATE_OPTIONS,
        include_name=include_name,
        version_table=ALEMBIC_VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = get_engine({"sqlalchemy.url": app_database_url()})
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        **AUTOGENERATE_OPTIONS,
        include_name=include_name,
        version_table=ALEMBIC_VERSION_TABLE,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
