"""`poser db CONFIG`: which database a config uses and whether it is migrated."""
import sys

from sqlalchemy.engine import make_url

from .common import add_config_argument


def _alembic_config(ini_path):
    from alembic.config import Config

    return Config(ini_path)


def cmd_db(args):
    """Which database CONFIG uses and whether its migrations are at head."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from ..db.engine import get_engine
    from ..models import ALEMBIC_VERSION_TABLE
    from ..settings import database_url

    url = database_url(args.config)
    script = ScriptDirectory.from_config(_alembic_config(args.config))
    heads = set(script.get_heads())
    engine = get_engine({"sqlalchemy.url": url})
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": ALEMBIC_VERSION_TABLE}
            )
            current = set(context.get_current_heads())
    except Exception as error:  # a wrong URL or a server that is down
        print(f"database: {make_url(url).render_as_string(hide_password=True)}")
        print(f"error: cannot connect: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"database: {make_url(url).render_as_string(hide_password=True)}")
    print(f"current:  {', '.join(sorted(current)) or '(empty: run `alembic upgrade heads`)'}")
    print(f"heads:    {', '.join(sorted(heads))}")
    if current == heads:
        print("status:   up to date")
        return 0
    print("status:   needs `alembic upgrade heads`")
    return 1


def add_commands(commands):
    db = commands.add_parser(
        "db", help="show the database a config uses and its migration status",
        description="Print the database CONFIG uses (password hidden), its current and head "
                    "migration revisions, and whether it needs `alembic upgrade heads` (exit "
                    "status 1) or cannot be reached (2).")
    add_config_argument(db)
    db.set_defaults(handler=cmd_db)
