"""URL contract (see README): route names are what templates and tests use."""


def includeme(config):
    config.add_static_view("static", "poser_web:static", cache_max_age=3600)
    config.add_route("home", "/")
    config.add_route("widgets", "/widgets")
