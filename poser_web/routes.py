"""URL contract (README): route names are what templates and tests use."""


def includeme(config):
    config.add_static_view("static", "poser_web:static", cache_max_age=3600)
    # deform's Bootstrap, jQuery and form scripts, served by us: no CDN.
    config.add_static_view("deform-static", "deform:static", cache_max_age=3600)
    config.add_route("home", "/")
    config.include(".views.widgets")
    config.include(".views.components")
