"""The daemon's settings, from the app's ini file.

    [datasync]
    consumers = reporting events          # which [datasync:NAME] sections run
    poll_interval = 1                     # seconds between looks on SQLite (PostgreSQL: NOTIFY)
    batch_size = 500                      # changes read and applied per transaction
    max_attempts = 5                      # failures before a change is parked
    backoff_max = 60                      # seconds: retries wait 1, 2, 4 ... up to this
    lag_threshold = 300                   # seconds: `poser datasync status` fails past it

    [datasync:reporting]
    type = poser                          # poser | amqp | an entry point | module:Class
    url_env = POSER_REPORTING_URL         # or url = postgresql+psycopg://...
    runas = datasync

The source database is the app's own (`sqlalchemy.url`, or POSER_DATABASE_URL). Reading the
settings also maps the app's tables (the table packages and those `poser.includes` names), so
every declared entity can be shipped.
"""
import configparser
import os
from dataclasses import dataclass, field
from importlib import import_module

from ..cli.common import CommandError, app_settings
from ..tables import load_models


@dataclass
class Settings:
    poll_interval: float = 1.0
    batch_size: int = 500
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    lag_threshold: float = 300.0
    consumers: dict = field(default_factory=dict)   # name -> options (its ini section)
    app: dict = field(default_factory=dict)         # the app's settings (source database)


NUMBERS = {"poll_interval": float, "batch_size": int, "max_attempts": int,
           "backoff_base": float, "backoff_max": float, "lag_threshold": float}


def read_settings(path):
    parser = configparser.ConfigParser(
        defaults={"here": os.path.dirname(os.path.abspath(path)), "__file__": os.path.abspath(path)},
        interpolation=configparser.BasicInterpolation())
    if not parser.read(path):
        raise CommandError(f"cannot read {path}")
    settings = Settings(app=app_settings(path))
    load_app_models(settings.app)
    if not parser.has_section("datasync"):
        raise CommandError(f"{path} has no [datasync] section: see docs/datasync.md")
    section = parser["datasync"]
    for name, kind in NUMBERS.items():
        if name in section:
            try:
                value = kind(section[name])
            except ValueError:
                raise CommandError(f"[datasync] {name} = {section[name]!r} is not a number") from None
            if value <= 0:
                raise CommandError(f"[datasync] {name} must be above 0")
            setattr(settings, name, value)
    names = section.get("consumers", "").replace(",", " ").split()
    for name in names:
        key = f"datasync:{name}"
        if not parser.has_section(key):
            raise CommandError(f"consumer {name} is listed in [datasync] consumers but {path} "
                               f"has no [{key}] section")
        options = {k: v for k, v in parser[key].items() if k not in ("here", "__file__")}
        if not options.get("type"):
            raise CommandError(f"[{key}] needs a type (poser, amqp, or a custom one)")
        settings.consumers[name] = options
    return settings


def load_app_models(app):
    """Map the tables the app serves: every table package's and every `poser.includes` one's."""
    load_models()
    for name in (app.get("poser.includes") or "").split():
        try:
            import_module(name)
        except ImportError as error:
            raise CommandError(f"poser.includes names {name}, which cannot be imported: "
                               f"{error}") from None
