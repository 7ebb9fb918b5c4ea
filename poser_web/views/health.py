"""GET /healthz: is the database reachable and are its migrations at head? No login needed.

200 {"status": "ok"} or 503 {"status": "error"}, for load balancers and monitoring. Callers
learn only that: what is wrong (the database's error, the revisions) goes to the log, and
`poser db CONFIG` prints it on the server. The migrations are looked for in
`poser.migrations` (a directory), else beside the package.
"""
import logging
from pathlib import Path

from pyramid.security import NO_PERMISSION_REQUIRED

from ..models import ALEMBIC_VERSION_TABLE

DEFAULT_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)


def script_heads(settings):
    from alembic.script import ScriptDirectory

    directory = Path(settings.get("poser.migrations") or DEFAULT_MIGRATIONS)
    if not (directory / "env.py").exists():
        return None
    return set(ScriptDirectory(str(directory)).get_heads())


def problem(registry):
    """What is wrong with the database (for the log), or None."""
    from alembic.runtime.migration import MigrationContext

    heads = registry.get("poser.migration_heads")
    try:
        with registry["db_engine"].connect() as connection:
            current = set(MigrationContext.configure(
                connection, opts={"version_table": ALEMBIC_VERSION_TABLE}).get_current_heads())
    except Exception as error:
        return f"database unreachable: {type(error).__name__}: {error}"
    if heads is not None and current != heads:
        return (f"migrations at {sorted(current)}, not at head {sorted(heads)}: "
                "run `alembic upgrade heads`")
    return None


def healthz(request):
    wrong = problem(request.registry)
    if wrong is None:
        return {"status": "ok"}
    log.warning("health check failed: %s", wrong)
    request.response.status = 503
    return {"status": "error"}


def includeme(config):
    config.registry["poser.migration_heads"] = script_heads(config.get_settings())
    config.add_route("healthz", "/healthz")
    config.add_view(healthz, route_name="healthz", renderer="json", request_method=("GET", "HEAD"),
                    permission=NO_PERMISSION_REQUIRED)
