"""Settings that the environment may override (production keeps secrets out of ini files)."""
import os

# Environment variable -> setting it overrides.
ENVIRONMENT_OVERRIDES = {
    "POSER_DATABASE_URL": "sqlalchemy.url",
    "POSER_SECRET": "poser.secret",
    "POSER_BASE_URL": "poser.base_url",
    "POSER_BATCH_DIR": "poser.batch_dir",
}


def apply_environment(settings):
    settings = dict(settings)
    for variable, key in ENVIRONMENT_OVERRIDES.items():
        value = os.environ.get(variable)
        if value:
            settings[key] = value
    return settings


def database_url(ini_path):
    """The database URL the app at `ini_path` uses (environment override included)."""
    from pyramid.paster import get_appsettings

    return apply_environment(get_appsettings(ini_path))["sqlalchemy.url"]
