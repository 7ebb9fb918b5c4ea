"""The application exactly as `pserve development.ini` / `pserve production.ini` builds it —
the ini's settings, tweens and [loggers] — on the test database.

What production takes from the environment (POSER_DATABASE_URL, POSER_SECRET,
POSER_BASE_URL, POSER_BATCH_DIR) is given the same way; nothing else differs. Logging is
configured from the ini as pserve does (the request log at INFO among it) and put back
afterwards, so the rest of the run logs as before.
"""
import gc
import logging
import os
from configparser import ConfigParser
from contextlib import contextmanager

from pyramid.paster import get_app, setup_logging

from tests.databases import REPO

# How each ini is reached: the base URL production needs, the host a client names.
INI_APPS = {
    "development.ini": {"environment": {"POSER_BASE_URL": None, "POSER_SECRET": None},
                        "host": "localhost", "scheme": "http"},
    "production.ini": {"environment": {"POSER_BASE_URL": "https://example.com",
                                       "POSER_SECRET": "ini-apps-" + "s" * 40},
                       "host": "example.com", "scheme": "https"},
}


@contextmanager
def environment(values):
    """`values` in os.environ (None: unset) for the block's length."""
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _logger_names(path):
    parser = ConfigParser(interpolation=None)
    parser.read(path)
    keys = [k.strip() for k in parser["loggers"]["keys"].split(",")]
    return [parser[f"logger_{k}"].get("qualname") for k in keys if k != "root"]


@contextmanager
def logging_of(path):
    """Logging as the ini configures it, then as it was."""
    root = logging.getLogger()
    names = _logger_names(path)
    saved_root = (root.level, list(root.handlers))
    saved = {name: (logger.level, list(logger.handlers), logger.propagate, logger.disabled)
             for name in names for logger in [logging.getLogger(name)]}
    setup_logging(str(path))
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in saved_root[1]]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(saved_root[0])
        for name, (level, handlers, propagate, disabled) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled


@contextmanager
def app_from_ini(name, database_url, batch_dir):
    """(WSGI app, host, scheme) of `name`, served on `database_url`."""
    path = REPO / name
    spec = INI_APPS[name]
    values = {"POSER_DATABASE_URL": database_url, "POSER_BATCH_DIR": str(batch_dir),
              **spec["environment"]}
    with environment(values), logging_of(path):
        app = get_app(str(path))
        # The ini freezes start-up objects (web/startup_gc.py), here the whole test run's
        # so far: let the collector have them back, as a test process needs.
        gc.unfreeze()
        try:
            yield app, spec["host"], spec["scheme"]
        finally:
            app.registry["db_engine"].dispose()
