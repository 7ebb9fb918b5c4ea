"""`pshell development.ini`: the models and a session, as upstream's docs use them.

`session` is a plain session (its `commit()` works, as in upstream's snippet);
`request.dbsession` is the request-bound one that pyramid_tm commits.
"""
from . import models


def setup(env):
    registry = env["registry"]
    env["model"] = models
    env["session"] = registry["dbsession_factory"]()
    env["tm"] = env["request"].tm
    env["dbsession"] = env["request"].dbsession
