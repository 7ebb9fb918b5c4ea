"""`pshell development.ini`: the models and a session, as upstream's docs use them.

`model` holds the framework's models and every table package's (`model.Widget`); `session` is a
plain session (its `commit()` works, as in upstream's snippet); `request.dbsession` is the
request-bound one that pyramid_tm commits.
"""
import importlib
from types import SimpleNamespace

from . import models
from .tables import table_packages


def model_namespace():
    names = {k: v for k, v in vars(models).items() if not k.startswith("_")}
    for package in table_packages():
        module = importlib.import_module(f"{package}.models")
        names.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    return SimpleNamespace(**names)


def setup(env):
    registry = env["registry"]
    env["model"] = model_namespace()
    env["session"] = registry["dbsession_factory"]()
    env["tm"] = env["request"].tm
    env["dbsession"] = env["request"].dbsession
