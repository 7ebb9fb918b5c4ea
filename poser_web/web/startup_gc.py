"""Keep the objects made at start-up out of the garbage collector's full passes.

A served app holds ~145,000 tracked objects made once at start-up (routes, views, compiled
templates, SQLAlchemy's mappers). Python's full collection walks them all, ~28 ms each time,
about every hundred pages: 0.3–0.5 ms a list page on average, a sixth of its CPU.
`gc.freeze()` moves them to a generation that is never collected (what Instagram and
gunicorn's preload users do); whatever the requests make is collected as before.

On for served apps (`poser.freeze_startup_objects = true` in the ini files); off by default
because a process that builds many apps (the tests) would keep every frozen one.
"""
import gc

from pyramid.settings import asbool

SETTING = "poser.freeze_startup_objects"


def freeze_startup_objects(settings):
    """Collect once, then freeze what is left, when the settings ask for it."""
    if not asbool(settings.get(SETTING, False)):
        return False
    gc.collect()
    gc.freeze()
    return True
