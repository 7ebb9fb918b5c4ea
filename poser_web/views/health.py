"""GET /healthz: is the database reachable and are its migrations at head? No login needed.

200 with {"status": "ok", ...} or 503 with what is wrong, for load balancers and monitoring.
The migrations are looked for in `poser.migrations` (a directory), else beside the package.
"""
from pathlib import Path

from pyramid.security import NO_PERMISSION_REQUIRED

from ..models import ALEMBIC_VERSION_TABLE

DEFAULT_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def script_heads(settings):
    from alembic.script import ScriptDirectory

    directory = Path(settings.get("poser.migrations") or DEFAULT_MIGRATIONS)
    if not (directory / "env.py").exists():
        return None
    return set(ScriptDirectory(str(directory)).get_heads())


def healthz(request):
    from alembic.runtime.migration import MigrationContext

    heads = request.registry.get("poser.migration_heads")
    engine = request.registry["db_engine"]
    body = {"status": "ok", "database": "reachable"}
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(
                connection, opts={"version_table": ALEMBIC_VERSION_TABLE}).get_current_heads())
    except Exception as error:
        request.response.status = 503
        return {"status": "error", "database": f"unreachable: {type(error).__name__}"}
    body["migrations"] = sorted(current)
    if heads is None:
        body["heads"] = "unknown (set poser.migrations)"
    elif current != heads:
        request.response.status = 503
        body.update(status="error", heads=sorted(heads),
                    problem="migrations are not at head: run `alembic upgrade heads`")
    return body


def includeme(config):
    config.registry["poser.migration_heads"] = script_heads(config.get_settings())
    config.add_route("healthz", "/healthz")
    config.add_view(healthz, route_name="healthz", renderer="json", request_method=("GET", "HEAD"),
                    permission=NO_PERMISSION_REQUIRED)
