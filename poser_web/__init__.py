"""poser_web: a Pyramid admin for the custom tables of a Poser project."""
from pyramid.config import Configurator

from .settings import apply_environment


def main(global_config, **settings):
    """The WSGI application `pserve` serves (paste.app_factory)."""
    settings = apply_environment(settings)
    with Configurator(settings=settings) as config:
        config.include("pyramid_chameleon")
        config.include(".models")
        config.include(".security")
        config.include(".routes")
        config.scan(".views")
    return config.make_wsgi_app()
