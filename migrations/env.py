"""Alembic environment: migrates the database the app's own ini file names.

`alembic -c development.ini` reads [app:main] of that file; plain `alembic`
(alembic.ini) follows its `poser.app_ini` option. POSER_DATABASE_URL
overrides either, as it does for the app.
"""
from alembic import context

from poser_web.models import ALEMBIC_VERSION_TABLE, Base, get_engine
from poser_web.search_index import is_search_table
from poser_web.settings import database_url

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


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


def run_migrations_offline():
    context.configure(
        url=app_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
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
        # SQLite cannot ALTER most things; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
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
