"""The project's tables. Each package here is one table package — `models.py` (the SQLAlchemy
models) and an `includeme` (its master views) — and registers itself by being here: no list to
edit. The framework (everything outside this package) imports no table.

`load_models()` imports every package's models (the app, Alembic and the command line need the
mappers and the metadata); `includeme` adds every package's views to the app.
"""
import importlib
import pkgutil

from sqlalchemy.orm import configure_mappers


def table_packages():
    """Dotted names of the table packages under poser_web/tables/, in name order."""
    return [f"{__name__}.{info.name}" for info in sorted(pkgutil.iter_modules(__path__),
                                                          key=lambda info: info.name)
            if info.ispkg]


def load_models():
    """Import every table package's models and configure the mappers (idempotent)."""
    for package in table_packages():
        importlib.import_module(f"{package}.models")
    configure_mappers()


def includeme(config):
    load_models()
    for package in table_packages():
        config.include(package)
