"""What every subcommand needs: the app's settings and a database session."""
from contextlib import contextmanager

from pyramid.paster import get_appsettings
from sqlalchemy.orm import Session

from ..db.engine import get_engine
from ..settings import apply_environment
from ..tables import load_models


def add_config_argument(parser):
    """The app's ini file: the first positional of every command that uses the database."""
    parser.add_argument("config", metavar="CONFIG",
                        help="the app's ini file, e.g. development.ini (its [app:main] names the "
                             "database; POSER_DATABASE_URL overrides it)")


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def app_registry(config_path):
    """The app's registry as the ini file builds it (every table, batch type and permission),
    for commands that work on tables; the app is configured, not served."""
    from .. import configure

    config = configure(app_settings(config_path))
    config.commit()
    return config.registry


def table_spec(registry, name):
    """The TableSpec of table `name` (its list URL's name); CommandError naming the known ones."""
    from ..models import catalog

    try:
        return catalog.table(registry, name)
    except LookupError as error:
        raise CommandError(f"{error}; `poser tables CONFIG` lists them") from None


def app_settings(config_path):
    try:
        return apply_environment(get_appsettings(config_path))
    except (FileNotFoundError, LookupError) as error:
        raise CommandError(f"cannot read {config_path}: {error}") from None


@contextmanager
def session_for(config_path):
    """A session on the config's database, committed on success, rolled back on error."""
    load_models()
    engine = get_engine(app_settings(config_path))
    session = Session(bind=engine)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        engine.dispose()
