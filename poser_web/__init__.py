"""poser_web: a Pyramid admin for the custom tables of a Poser project."""
from pyramid.config import Configurator

from .settings import apply_environment
from .web.startup_gc import freeze_startup_objects


def configure(settings):
    """The Configurator with everything included (tests add to it before building)."""
    config = Configurator(settings=apply_environment(settings))
    config.include(".web.templating")
    config.include(".web.request_log")
    config.include(".db.engine")
    config.include(".display.values")  # checks the poser.timezone setting
    config.include(".auth.security")
    config.include(".routes")
    config.include(".web.compression")
    config.include(".web.request_class")  # an action ordered after every add_request_method
    config.scan(".views")
    # Custom tables kept outside this package (and the tests' sample table):
    # `poser.includes = mypackage.views` includes each like ours.
    for name in (config.get_settings().get("poser.includes") or "").split():
        config.include(name)
    return config


def main(global_config, **settings):
    """The WSGI application `pserve` serves (paste.app_factory)."""
    app = configure(settings).make_wsgi_app()
    freeze_startup_objects(settings)
    return app
